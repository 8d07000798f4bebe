from gongzhi.agreements import services
from gongzhi.agreements.models import Agreement, Instalment
from gongzhi.agreements.tests.conftest import STANDARD, active


def test_smoke(city, people, tasks, budget):
    agreement = active(city, people)
    assert agreement.status == Agreement.Status.ACTIVE
    inst = Instalment.objects.filter(agreement=agreement).order_by("seq")
    assert sum(i.amount_fen for i in inst) == STANDARD + 800_000
    services.pay_instalment(actor=people.finance, instalment=inst[0], amount_fen=inst[0].amount_fen)
