"""Three small tests, as a service's test file has them: a socket pair, a
date, a price. Run by pytest, about 270 modules are imported; on CPython
3.11 three of them leak on every interpreter lifetime (_socket, _datetime,
_decimal): `refhunt --bisect imports -m pytest -q -p no:cacheprovider
tests/examples/test_services.py` names them (scripts/bench-bisect.sh)."""
import datetime
import decimal
import socket


def test_socketpair_echo():
    a, b = socket.socketpair()
    with a, b:
        a.sendall(b"ping")
        assert b.recv(4) == b"ping"


def test_date_arithmetic():
    assert datetime.date(2024, 2, 28) + datetime.timedelta(days=1) == \
        datetime.date(2024, 2, 29)


def test_price_rounding():
    price = decimal.Decimal("19.995").quantize(decimal.Decimal("0.01"))
    assert price == decimal.Decimal("20.00")
