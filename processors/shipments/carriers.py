"""The carriers we recognise and the internet domains that speak for them."""

from __future__ import annotations

import re
from enum import StrEnum


class Carrier(StrEnum):
    ups = "ups"
    fedex = "fedex"
    usps = "usps"
    dhl = "dhl"
    amazon = "amazon"
    #: A non-US postal operator, known only by its UPU S10 number (e.g. ...GB is Royal Mail).
    postal = "postal"


# Registrable domains per carrier; a host matches when it is one of them or a subdomain
# (mcinfo.ups.com, email.informeddelivery.usps.com, amazon.co.uk ...).
_CARRIER_DOMAINS: dict[Carrier, tuple[str, ...]] = {
    Carrier.ups: ("ups.com",),
    Carrier.fedex: ("fedex.com",),
    Carrier.usps: ("usps.com", "usps.gov"),
    Carrier.dhl: ("dhl.com", "dhl.de", "dhl.co.uk", "dhlparcel.nl", "dhl-news.com"),
    Carrier.amazon: (
        "amazon.com",
        "amazon.ca",
        "amazon.co.uk",
        "amazon.de",
        "amazon.fr",
        "amazon.it",
        "amazon.es",
        "amazon.com.mx",
        "amazon.co.jp",
        "amazon.com.au",
        "amazon.in",
        "amazonlogistics.com",
        "amazon.com.be",
        "amazon.nl",
        "amazon.se",
        "amazon.pl",
    ),
}

#: Senders whose mail is a shipping notice on behalf of a merchant (stores and tracking
#: services), not a carrier: they make a tracking number plausible without naming a carrier.
_NOTICE_DOMAINS = (
    "shopify.com",
    "shopifyemail.com",
    "shop.app",
    "aftership.com",
    "narvar.com",
    "route.com",
    "shipstation.com",
    "parcelsapp.com",
    "17track.net",
    "ebay.com",
    "etsy.com",
    "walmart.com",
    "target.com",
    "bestbuy.com",
    "wish.com",
    "aliexpress.com",
    "bigcommerce.com",
)

_DOMAIN_LABEL = re.compile(r"^[a-z0-9.-]+$")


def normalize_host(host: str | None) -> str:
    """A host or mail domain in lower case, without a trailing dot or port."""
    if not host:
        return ""
    host = host.strip().lower().rstrip(".").split(":", 1)[0]
    return host if _DOMAIN_LABEL.match(host) else ""


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def carrier_for_host(host: str | None) -> Carrier | None:
    """The carrier a host (URL or mail domain) belongs to, if any."""
    host = normalize_host(host)
    for carrier, domains in _CARRIER_DOMAINS.items():
        if any(_under(host, domain) for domain in domains):
            return carrier
    return None


def is_notice_host(host: str | None) -> bool:
    """Whether the host belongs to a store platform or tracking service that sends shipping notices."""
    host = normalize_host(host)
    return any(_under(host, domain) for domain in _NOTICE_DOMAINS)


def mail_domain(address: str | None) -> str:
    """The domain of an e-mail address, normalized; empty when there is none."""
    if not address or "@" not in address:
        return ""
    return normalize_host(address.rsplit("@", 1)[1])
