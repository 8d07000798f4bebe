"""The task matcher: an incoming task text → what it is, judged against the published lists.

`match(text, edition=None)` returns a `Verdict`:

- `verdict`: `statutory` | `assisting` | `excluded` | `unlisted` (no list item covers it: the approval authority
  decides);
- `matches`: the five best items (kind, code, title, score 0–1), the deciding item first;
- `flags`: any of `plaque`, `report_form`, `inspection_ranking`, `certificate`;
- `reason`: one Chinese sentence naming the item that decided it.

How it decides (rules first, then ranking; each rule only ever picks an item of the edition, so the reason can name
it):

1. A certificate to issue (「出具/开具…证明」): the certificate items decide. A certificate the list allows
   (kind `certificate`) is the community's own work (`statutory`); one on the excluded list, or one on no list at
   all, is `excluded` (2020 national guidance: only certificates with a basis may be issued).
2. Enforcement, inspection of businesses, licensing, expropriation, economic targets and levies (keyword rules
   below) are `excluded` even when the text says 「协助」: the best excluded item names the category.
3. A department's own inspection, assessment or ranking of communities (flag `inspection_ranking`) is `excluded`
   (a department may not separately inspect, assess or rank communities: 郑州二七区 rule in the sample list).
4. Otherwise rank every item: BM25F over jieba words of title, keywords, category and description, plus BM25 over
   character bigrams (robust to segmentation), plus exact phrase hits of titles and keywords. Below the
   threshold the task is `unlisted`. When the text asks to 「协助/配合」 and an assisting item is nearly as
   good as a statutory one, the assisting item wins. A new plaque is `unlisted` unless rules 1–3 apply: new
   plaques need the approval authority's decision.

Thresholds are in settings.DUTIES_MATCHER. The index of an edition set is cached per process under the editions'
ids, revisions and publication times; a published edition never changes, and publishing warms the new index.
"""

from __future__ import annotations

import heapq
import logging
import math
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jieba
from django.conf import settings

VERDICTS = ("statutory", "assisting", "excluded", "unlisted")
FLAGS = ("plaque", "report_form", "inspection_ranking", "certificate")
MAX_TEXT = 2000

DEFAULTS: dict[str, float] = {
    "min_score": 0.35,  # below this (0–1) the best item does not cover the task: unlisted
    "certificate_min_score": 0.20,  # a certificate item must match at least this well (and by its subject)
    "assist_margin": 0.75,  # 「协助」 texts: an assisting item within this ratio of the top statutory one wins
    "scale": 12.0,  # raw score → 0–1 via 1 − exp(−raw/scale)
}

KIND_VERDICT = {
    "statutory": "statutory",
    "assisting": "assisting",
    "certificate": "statutory",
    "excluded": "excluded",
    "power": "excluded",  # a department's own power: not the community's job
}
KIND_LABEL = {
    "statutory": "依法履行职责事项",
    "assisting": "协助政府工作事项",
    "certificate": "社区可出具的证明事项",
    "excluded": "不应由社区承担事项",
    "power": "部门权力清单事项",
}

# --- flags and rules (keyword rules over the normalized text) -------------------------------------------------

_NOT_PLAQUE = re.compile(r"光荣牌|门牌|车牌|号牌|品牌|招牌|牌照|金牌|奖牌")
_PLAQUE = re.compile(
    r"牌子|挂牌|加挂|牌匾|标牌|标识牌|指示牌|警示牌|铭牌|上墙|(悬挂|设置|制作|安装)[^,。;]{0,12}牌"
)
_NOT_REPORT = re.compile(r"(发现|遇到|遇有)[^,。;]{0,12}(及时)?上报")
_REPORT = re.compile(
    r"报表|台账|填报|报送|上报|统计表|汇总表|登记表|信息表|一览表|明细表|调查表|花名册|表格|数据采集|采集数据|"
    r"统计数据|数据报|报数据|报数|迎检材料|佐证材料|书面材料|工作总结|总结材料"
)
_INSPECT = "检查|考核|评比|排名|打分|评分|督查|督导|验收|测评|评估|暗访|抽查"
_INSPECTION = re.compile(
    rf"对(各|全区|全市|全县|辖区|所有)?(各)?社区[^。;]{{0,24}}({_INSPECT})"
    rf"|({_INSPECT})(各|全区|全市)社区"
    rf"|接受[^,。;]{{0,10}}({_INSPECT})"
    r"|纳入[^,。;]{0,10}考核|考核结果|通报排名|排名[^,。;]{0,6}通报|通报批评|通报表扬|排名(靠后|靠前|后|前|末)"
    r"|一票否决|迎检|创建达标|达标创建|达标验收|创建[^,。;]{0,12}验收"
    r"|迎接[^,。;]{0,12}(检查|督查|考核|验收|评估|测评|复查)|(中期|年度|年终|半年)(检查|考核|评估|督查)"
)
_CERTIFICATE = re.compile(r"(出具|开具|开立|开|提供|盖章)[^,。;]{0,24}证明|证明[^,。;]{0,6}(出具|开具|盖章)")
_ENFORCEMENT = re.compile(
    r"行政执法|执法|行政处罚|处罚|罚款|罚没|查处|取缔|强制|强拆|查封|扣押|没收|吊销|责令"
    r"|拆除[^,。;]{0,8}(违|私搭|乱搭|乱建)|(违章|违法|私搭|乱搭|违建)[^,。;]{0,10}拆除|拆违|控违"
    r"|行政许可|许可证|行政审批|审核发放|审批发放|营业执照"
    r"|征收|征迁|拆迁|征地|动迁"
    r"|招商引资|引进项目|协税护税|税源|税收|经济指标|入统"
    r"|订阅|推销|销售任务|代收代缴|代(收|缴)[^,。;]{0,8}费|征缴任务|缴费任务|催缴|摊派|认购|商业保险"
    r"|(购买|认购)[^,。;]{0,12}(保险|理财|产品|债券|商品)"
    r"|(食品安全|消防安全|消防|安全生产|价格|环保|环境|市场|卫生)(大|专项|监督)?检查"
    r"|(商户|门店|店铺|企业|餐饮店|餐馆|九小场所|经营户|经营主体|小作坊|工地)[^,。;]{0,12}(检查|抽查|排查)"
    r"|检查[^,。;]{0,6}(商户|门店|企业|餐饮|场所)|无证无照|无证经营|无照经营"
    r"|对[^,。;]{0,10}(站|店|场所|企业|商户|门店|工地|市场|餐馆|网吧|宾馆|公司|厂)[^,。;]{0,10}(检查|抽查)"
)
_ASSIST_CUE = re.compile(r"协助|配合|协同")
_CERT_GENERIC = re.compile(r"证明|情况|状况|材料|出具|开具|申请人|居民|本人|\(.*?\)|（.*?）")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that carry no meaning for matching (order boilerplate of administrative texts).
STOPWORDS = _wordset(
    "请 各 于 前 后 的 了 和 与 及 或 等 对 在 将 并 把 为 由 向 从 以 按 对于 "
    "关于 通知 要求 务必 及时 认真 切实 积极 全面 按时 按照 根据 本 本周 下周 本月 下月 "
    "月底 年底 今年 明年 每月 每周 每日 每季度 季度 年度 社区 各社区 居委会 居民委员会 "
    "社区居委会 工作 相关 有关 做好 开展 进行 落实 组织 加强 推进 一个 一次 不少 不少于 "
    "以上 以下 期间 之前 之后 以便 用于 需要 需 要 是 有 个 名 份 项 次 辖区 辖区内 "
    "本社区 区 市 县 局 部门 单位 "
)
# Administrative words that occur in every kind of task: they count, but little (a quarter), so that a task is
# matched by its subject (低保, 业委会, 违建 …) rather than by how it is phrased.
GENERIC = _wordset(
    "登记 入户 宣传 服务 信息 人员 管理 申请 受理 核查 核实 调查 走访 活动 情况 问题 "
    "居民 群众 家庭 对象 参加 办理 发放 审核 排查 摸底 报名 动员 统计 采集 数据 整治 "
    "建设 保障 需求 帮扶 慰问 关爱 完成 任务 安排 提供 协助 配合 政府 日常 工作 制度 "
    "方案 报送 上报 填报 台账 材料 名单 专项 实施 推动 引导 教育 安全 政策 小区 楼栋 "
    "住户 人口 普查 全市 全区 全国 检查 服务站 站点 中心 机关 单位 部门 政府 人民 要求 "
    "通知 会议 培训 经济 任务 指标 "
)
GENERIC_WEIGHT = 0.25
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_NOISE = re.compile(r"[0-9０-９a-zA-Z·\.\-_/]+")

jieba.setLogLevel(logging.WARNING)
_jieba_lock = threading.Lock()
_added_words: set[str] = set()


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), trimmed to MAX_TEXT characters."""
    return unicodedata.normalize("NFKC", text or "").strip()[:MAX_TEXT]


def words(text: str) -> list[str]:
    """jieba words without stopwords, punctuation, digits or single characters."""
    out = []
    for w in jieba.lcut(text, HMM=False):
        w = w.strip()
        if len(w) < 2 or w in STOPWORDS or not _CJK.fullmatch(w):
            continue
        out.append(w)
    return out


_STOP_CHARS = frozenset(
    "请各于的和与及或并了在对将为由向从以按要需是有个名份项次把等其之该此每本前后区市县局"
)
_WEAK_CHARS = frozenset("社工作做好开展组织进行居民人员服务协助配合情况问题活动管理" + "".join(GENERIC))


_seg_cache: dict[str, tuple[str, ...]] = {}


def _cached_words(text: str) -> tuple[str, ...]:
    """words(text), remembered until jieba learns new words (item texts repeat across index builds)."""
    found = _seg_cache.get(text)
    if found is None:
        if len(_seg_cache) > 100_000:
            _seg_cache.clear()
        found = _seg_cache[text] = tuple(words(text))
    return found


def _is_word(text: str) -> bool:
    """A keyword jieba knows as one word (see Index._add_phrases_to_jieba) and that carries meaning."""
    return 2 <= len(text) <= 8 and text not in STOPWORDS and _CJK.fullmatch(text) is not None


def bigrams(text: str) -> list[str]:
    """Character bigrams and (distinctive) single characters of the Chinese runs."""
    out: list[str] = []
    for run in _CJK.findall(_NOISE.sub(" ", text)):
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
        out.extend(c for c in run if c not in _STOP_CHARS and c not in _WEAK_CHARS)
    return [
        g
        for g in out
        if len(g) == 1 or (g not in STOPWORDS and g[0] not in _STOP_CHARS and g[1] not in "的和与及或")
    ]


def detect_flags(text: str) -> list[str]:
    t = normalize(text)
    flags = []
    if _PLAQUE.search(_NOT_PLAQUE.sub("", t)):
        flags.append("plaque")
    if _REPORT.search(_NOT_REPORT.sub("", t)):
        flags.append("report_form")
    if _INSPECTION.search(t):
        flags.append("inspection_ranking")
    if _CERTIFICATE.search(t):
        flags.append("certificate")
    return flags


def config() -> dict[str, float]:
    return {**DEFAULTS, **getattr(settings, "DUTIES_MATCHER", {})}


# --- results --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    code: str
    kind: str
    title: str
    score: float
    item_id: int | None = None
    edition_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "kind": self.kind, "title": self.title, "score": round(self.score, 4)}


@dataclass(frozen=True)
class Verdict:
    verdict: str
    matches: tuple[Match, ...]
    flags: tuple[str, ...]
    reason: str
    edition_ids: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "matches": [m.as_dict() for m in self.matches],
            "flags": list(self.flags),
            "reason": self.reason,
        }


# --- the index ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    """A list item as the index sees it."""

    code: str
    kind: str
    title: str
    category: str = ""
    description: str = ""
    keywords: tuple[str, ...] = ()
    item_id: int | None = None
    edition_id: int | None = None

    @property
    def is_certificate(self) -> bool:
        return self.kind == "certificate" or "证明" in self.title


@dataclass
class Scored:
    doc: Doc
    raw: float
    phrases: list[str] = field(default_factory=list)
    i: int = -1  # the doc's position in the index


# BM25F field weights: title and keywords carry the meaning; the description adds context.
FIELD_WEIGHTS = {"title": 2.0, "keywords": 2.0, "category": 0.5, "description": 0.6}
K1, B = 1.2, 0.6
GRAM_WEIGHT = 0.35
CHAR_WEIGHT = 0.15
PHRASE_WEIGHT = 1.2
# A small edition (a district's few additions) is scored as if it were part of a list of this size, so that its
# terms count as distinctive and the thresholds mean the same thing.
MIN_COLLECTION = 50


def _clean_title(title: str) -> str:
    return re.sub(r"[((（].*?[))）]", "", title)


class Index:
    """BM25F over words, BM25 over character bigrams, and an exact-phrase table, for one set of items."""

    def __init__(self, docs: Sequence[Doc]) -> None:
        self.docs = list(docs)
        n = len(self.docs)
        self._add_phrases_to_jieba()
        word_tf: list[dict[str, float]] = []
        gram_tf: list[dict[str, float]] = []
        for doc in self.docs:
            wtf: dict[str, float] = {}
            gtf: dict[str, float] = {}
            # Words: jieba for titles; keywords are words already (jieba has learnt them), long ones are cut;
            # descriptions count through their character n-grams only (cheaper, and as good for matching).
            title_words = _cached_words(doc.title)
            keyword_words = [w for k in doc.keywords for w in ((k,) if _is_word(k) else _cached_words(k))]
            for name, found in (("title", title_words), ("keywords", keyword_words)):
                weight = FIELD_WEIGHTS[name]
                for w in found:
                    wtf[w] = wtf.get(w, 0.0) + weight
            if _is_word(doc.category):
                wtf[doc.category] = wtf.get(doc.category, 0.0) + FIELD_WEIGHTS["category"]
            for name, text in (
                ("title", doc.title),
                ("keywords", " ".join(doc.keywords)),
                ("category", doc.category),
                ("description", doc.description),
            ):
                weight = FIELD_WEIGHTS[name]
                for g in bigrams(text):
                    gtf[g] = gtf.get(g, 0.0) + weight
            word_tf.append(wtf)
            gram_tf.append(gtf)
        self.word_post, self.word_idf, self.word_norm = self._postings(word_tf, n)
        self.gram_post, self.gram_idf, self.gram_norm = self._postings(gram_tf, n)
        # Exact phrases: cleaned titles, keywords and, for certificates, the subject ("亲属关系" of 亲属关系证明).
        phrase_docs: dict[str, set[int]] = {}
        for i, doc in enumerate(self.docs):
            for phrase in self._phrases(doc):
                phrase_docs.setdefault(phrase, set()).add(i)
        self.phrases: dict[str, list[tuple[str, tuple[int, ...], float]]] = {}
        for phrase, ids in phrase_docs.items():
            rarity = math.log(1 + max(n, MIN_COLLECTION) / len(ids))
            weight = rarity * min(len(phrase), 6) / 2 * (GENERIC_WEIGHT if phrase in GENERIC else 1.0)
            self.phrases.setdefault(phrase[:2], []).append((phrase, tuple(sorted(ids)), weight))
        self.cert_subjects: list[tuple[str, ...]] = [
            self._cert_subjects(doc) if doc.is_certificate else () for doc in self.docs
        ]
        self.has_certificates = any(doc.is_certificate for doc in self.docs)
        self.is_cert = [doc.is_certificate for doc in self.docs]
        self.verdict_of = [KIND_VERDICT[doc.kind] for doc in self.docs]

    def _add_phrases_to_jieba(self) -> None:
        new = {
            k
            for doc in self.docs
            for k in doc.keywords
            if 2 <= len(k) <= 8 and _CJK.fullmatch(k) and k not in _added_words
        }
        if new:
            with _jieba_lock:
                for k in sorted(new):
                    jieba.add_word(k, freq=2000)
                _added_words.update(new)
                _seg_cache.clear()

    @staticmethod
    def _phrases(doc: Doc) -> set[str]:
        out = {k for k in doc.keywords if len(k) >= 2}
        title = _clean_title(doc.title)
        if 2 <= len(title) <= 16:
            out.add(title)
        return {normalize(p) for p in out}

    @staticmethod
    def _cert_subjects(doc: Doc) -> tuple[str, ...]:
        subjects = set()
        for text in (doc.title, *doc.keywords):
            for part in re.split(r"[、,,()（）]", _CERT_GENERIC.sub("、", normalize(text))):
                if len(part) >= 2:
                    subjects.add(part)
        return tuple(sorted(subjects))

    @staticmethod
    def _postings(
        tfs: list[dict[str, float]], n: int
    ) -> tuple[dict[str, list[tuple[int, float]]], dict[str, float], list[float]]:
        lengths = [sum(tf.values()) for tf in tfs]
        avg = (sum(lengths) / n) if n else 1.0
        post: dict[str, list[tuple[int, float]]] = {}
        for i, tf in enumerate(tfs):
            for term, value in tf.items():
                post.setdefault(term, []).append((i, value))
        big = max(n, MIN_COLLECTION)
        idf = {t: math.log(1 + (big - len(p) + 0.5) / (len(p) + 0.5)) for t, p in post.items()}
        norm = [K1 * (1 - B + B * (length / avg if avg else 1.0)) for length in lengths]
        return post, idf, norm

    def rank(self, text: str) -> Ranking:
        """Score every item against the text (BM25F words + BM25 character n-grams + exact phrases)."""
        t = normalize(text)
        raw: dict[int, float] = {}
        get = raw.get
        for term in set(words(t)):
            idf = self.word_idf.get(term)
            if idf is None:
                continue
            idf *= (GENERIC_WEIGHT if term in GENERIC else 1.0) * (K1 + 1)
            norm = self.word_norm
            for i, tf in self.word_post[term]:
                raw[i] = get(i, 0.0) + idf * tf / (tf + norm[i])
        for gram in set(bigrams(t)):
            idf = self.gram_idf.get(gram)
            if idf is None:
                continue
            idf *= (GENERIC_WEIGHT if gram in GENERIC else 1.0) * (K1 + 1)
            idf *= GRAM_WEIGHT if len(gram) == 2 else CHAR_WEIGHT
            norm = self.gram_norm
            for i, tf in self.gram_post[gram]:
                raw[i] = get(i, 0.0) + idf * tf / (tf + norm[i])
        hits: dict[int, list[str]] = {}
        seen: set[str] = set()
        for pos in range(len(t) - 1):
            for phrase, ids, weight in self.phrases.get(t[pos : pos + 2], ()):
                if phrase in seen or not t.startswith(phrase, pos):
                    continue
                seen.add(phrase)
                for i in ids:
                    raw[i] = get(i, 0.0) + PHRASE_WEIGHT * weight
                    hits.setdefault(i, []).append(phrase)
        return Ranking(self, t, raw, hits)

    def score(self, text: str) -> list[Scored]:
        """Every item with a positive score, best first."""
        return self.rank(text).top(len(self.docs))

    def cert_subject_hit(self, scored: Scored, text: str) -> str:
        """The certificate's own subject named in the text ("亲属关系", "居住"…), or ''."""
        t = normalize(text)
        hits = [s for s in self.cert_subjects[scored.i] if s in t]
        return max(hits, key=len) if hits else ""


class Ranking:
    """The scores of one text; `top()` materializes only the best few (optionally of some items only)."""

    def __init__(self, index: Index, text: str, raw: dict[int, float], hits: dict[int, list[str]]) -> None:
        self.index, self.text, self.raw, self.hits = index, text, raw, hits

    def top(self, limit: int, where: Callable[[int], bool] | None = None) -> list[Scored]:
        pairs = [(s, i) for i, s in self.raw.items() if s > 0 and (where is None or where(i))]
        best = heapq.nsmallest(limit, pairs, key=lambda p: (-p[0], p[1]))
        docs = self.index.docs
        return [Scored(docs[i], s, self.hits.get(i, []), i) for s, i in best]


def _squash(raw: float, scale: float) -> float:
    return 1 - math.exp(-raw / scale) if raw > 0 else 0.0


# --- deciding -------------------------------------------------------------------------------------------------


def decide(text: str, index: Index, *, edition_ids: tuple[int, ...] = ()) -> Verdict:
    cfg = config()
    t = normalize(text)
    flags = detect_flags(t)
    ranking = index.rank(t)
    scale = cfg["scale"]
    is_cert, verdict_of, hits = index.is_cert, index.verdict_of, ranking.hits

    def result(verdict: str, chosen: Scored | None, reason: str) -> Verdict:
        ranked = ranking.top(6)
        top = ([chosen] if chosen else []) + [s for s in ranked if chosen is None or s.i != chosen.i]
        matches = tuple(
            Match(s.doc.code, s.doc.kind, s.doc.title, _squash(s.raw, scale), s.doc.item_id, s.doc.edition_id)
            for s in top[:5]
        )
        return Verdict(verdict, matches, tuple(f for f in FLAGS if f in flags), reason, edition_ids)

    def label(s: Scored) -> str:
        return f"“{s.doc.title}”({s.doc.code})"

    # 1. A certificate to issue: the certificate items decide.
    if "certificate" in flags and index.has_certificates:
        certs = [s for s in ranking.top(30, lambda i: is_cert[i]) if index.cert_subject_hit(s, t)]
        certs = [s for s in certs if _squash(s.raw, scale) >= cfg["certificate_min_score"]]
        if certs:
            best = certs[0]
            if best.doc.kind == "certificate":
                return result(
                    "statutory", best, f"{label(best)}是社区可以出具的证明事项,属社区依法履行的职责。"
                )
            return result(
                "excluded", best, f"{label(best)}属于不应由社区出具的证明事项,应由有关部门核查办理。"
            )
        fallback = next(
            iter(ranking.top(1, lambda i: is_cert[i] and index.docs[i].kind != "certificate")), None
        )
        return result(
            "excluded",
            fallback,
            "该证明不在社区可出具的证明事项清单内,按照2020年民政部等六部门的指导意见不应由社区出具。",
        )

    excluded = ranking.top(1, lambda i: verdict_of[i] == "excluded" and not is_cert[i])

    # 2. Enforcement, business inspection, licensing, expropriation, economic targets, levies.
    trigger = _ENFORCEMENT.search(t)
    if trigger and excluded:
        best = excluded[0]
        return result(
            "excluded",
            best,
            f"任务含有“{best.phrases[0] if best.phrases else trigger.group(0)}”,属于不应由社区承担的{label(best)},"
            "即使以“协助”名义下派也应退回。",
        )

    # 3. A department's own inspection, assessment or ranking of communities.
    if "inspection_ranking" in flags and excluded:
        best = excluded[0]
        return result(
            "excluded", best, f"部门对社区单独开展的考核、检查、评比或排名属于不应由社区承担的{label(best)}。"
        )

    # 4. Ranking (a task that issues no certificate is not decided by a certificate item).
    # An excluded item decides by ranking only when one of its own phrases is in the text: the rules above
    # already catch the usual enforcement and inspection wording.
    ranked = ranking.top(1, lambda i: not is_cert[i] and (verdict_of[i] != "excluded" or i in hits))
    if not ranked or _squash(ranked[0].raw, scale) < cfg["min_score"]:
        near = ranked and _squash(ranked[0].raw, scale) >= 0.15
        closest = f"(最接近的是{label(ranked[0])})" if near else ""
        if "plaque" in flags:
            return result("unlisted", None, f"新设牌子须经审批机构准入,清单中没有对应事项{closest}。")
        return result(
            "unlisted", None, f"清单中没有足够相符的事项{closest},属清单外事项,须报审批机构决定是否准入。"
        )
    best = ranked[0]
    if _ASSIST_CUE.search(t) and best.doc.kind == "statutory":
        assist = next(iter(ranking.top(1, lambda i: index.docs[i].kind == "assisting")), None)
        if assist is not None and assist.raw >= cfg["assist_margin"] * best.raw:
            best = assist
    verdict = KIND_VERDICT[best.doc.kind]
    if "plaque" in flags and verdict in ("statutory", "assisting"):
        return result(
            "unlisted", None, f"新设牌子须经审批机构准入,清单中没有对应事项(最接近的是{label(best)})。"
        )
    kind_label = KIND_LABEL[best.doc.kind]
    if verdict == "assisting":
        reason = f"任务与{label(best)}相符,属于{kind_label},应签订委托协议、费随事转。"
    elif verdict == "excluded":
        reason = f"任务与{label(best)}相符,属于{kind_label},不应由社区承担。"
    else:
        reason = f"任务与{label(best)}相符,属于社区{kind_label}。"
    return result(verdict, best, reason)


# --- editions → index (cached) ----------------------------------------------------------------------------------

_CACHE_SIZE = 16
_cache: OrderedDict[tuple[Any, ...], Index] = OrderedDict()
_cache_lock = threading.Lock()


def docs_for(editions: Iterable[Any]) -> list[Doc]:
    from gongzhi.duties.models import ListItem, split_keywords

    ids = [e.pk for e in editions]
    items = ListItem.objects.filter(edition_id__in=ids).order_by("edition_id", "position", "id")
    return [
        Doc(
            code=i.code,
            kind=i.kind,
            title=i.title,
            category=i.category,
            description=i.description,
            keywords=tuple(split_keywords(i.keywords)),
            item_id=i.pk,
            edition_id=i.edition_id,
        )
        for i in items
    ]


def _key(editions: Sequence[Any]) -> tuple[Any, ...]:
    return tuple((e.pk, e.revision, e.published_at.isoformat() if e.published_at else "") for e in editions)


def index_for(editions: Sequence[Any]) -> Index:
    key = _key(editions)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    index = Index(docs_for(editions))
    with _cache_lock:
        _cache[key] = index
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return index


def default_editions(community: Any = None) -> list[Any]:
    """The editions in force: for a community, its city's and district's; otherwise every city's."""
    from gongzhi.duties import queries

    return queries.current_editions(community)


def match(text: str, edition: Any = None, *, community: Any = None) -> Verdict:
    """Decide what a task is against `edition` (or the editions in force; see default_editions)."""
    editions = [edition] if edition is not None else default_editions(community)
    if not editions:
        return Verdict("unlisted", (), tuple(detect_flags(text)), "尚无现行清单,须报审批机构决定是否准入。")
    return decide(text, index_for(editions), edition_ids=tuple(e.pk for e in editions))


def search(text: str, editions: Sequence[Any], *, limit: int = 50) -> list[tuple[int, float]]:
    """Full-text search for the public pages: (item id, score 0–1), best first."""
    if not editions or not normalize(text):
        return []
    index = index_for(editions)
    scale = config()["scale"]
    return [
        (s.doc.item_id, _squash(s.raw, scale)) for s in index.score(text)[:limit] if s.doc.item_id is not None
    ]


def warm(edition: Any = None) -> None:
    """Build the indexes a published edition takes part in (called after publishing commits)."""
    index_for(default_editions())
    if edition is not None:
        index_for([edition])
