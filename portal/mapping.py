"""Guess which column of an uploaded log holds each field.

First the exact headers of common exports (Shopify, Stripe, WooCommerce, UCI Online Retail, and
German, French and Spanish names), then words inside the headers, then the values: the column of
dates, the column of decimals, the repeating id column. A log of line items without a line total
(UCI Online Retail) gets quantity x unit price as its amount.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from portal.amounts import read_amounts
from portal.dates import looks_like_dates

GUESS_SAMPLE = 500
FIELDS = ("customer_id", "date", "amount", "quantity", "order_id", "price")
EXACT = {  # normalised headers, best first
    "customer_id": (
        "customerid", "customer", "customerno", "customernumber", "customeruserid", "email",
        "customeremail", "billingemail", "clientid", "client", "userid", "kundennummer", "kundennr",
        "kundenid", "kunde", "numeroclient", "codeclient", "idclient", "idcliente", "cliente",
        "numerodecliente",
    ),
    "date": (
        "date", "orderdate", "invoicedate", "createdat", "createddateutc", "createddate",
        "transactiondate", "purchasedate", "paidat", "datum", "belegdatum", "bestelldatum",
        "rechnungsdatum", "datedecommande", "datedefacture", "fecha", "fechadepedido",
        "fechadefactura",
    ),
    "amount": (
        "amount", "total", "ordertotal", "ordertotalamount", "totalamount", "linetotal", "revenue",
        "sales", "netsales", "betrag", "gesamtbetrag", "umsatz", "bruttobetrag", "summe", "montant",
        "montantttc", "totalttc", "importe", "importetotal", "monto",
    ),
    "quantity": (
        "quantity", "qty", "lineitemquantity", "menge", "anzahl", "quantite", "cantidad", "units",
    ),
    "order_id": (
        "orderid", "ordernumber", "order", "invoice", "invoiceno", "invoiceid", "name",
        "bestellnummer", "rechnungsnummer", "belegnummer", "numerodecommande", "commande",
        "facture", "numerodepedido", "pedido", "factura",
    ),
    "price": (
        "price", "unitprice", "lineitemprice", "einzelpreis", "preis", "prixunitaire", "prix",
        "preciounitario", "precio",
    ),
}  # fmt: skip
WORDS = {
    "customer_id": (
        "customer", "cust", "client", "user", "member", "buyer", "account", "shopper", "kunde",
    ),
    "date": (
        "date", "time", "day", "when", "timestamp", "ordered", "purchased", "created", "datum",
        "fecha",
    ),
    "amount": (
        "amount", "value", "revenue", "sales", "spend", "total", "dollar", "sum", "net", "gmv",
        "betrag", "umsatz", "montant", "importe", "monto",
    ),
    "quantity": ("qty", "quantity", "units", "items", "number", "count", "menge", "anzahl"),
    "order_id": (
        "order", "invoice", "transaction", "receipt", "basket", "bestell", "rechnung", "beleg",
        "commande", "facture", "pedido", "factura",
    ),
    "price": ("price", "preis", "prix", "precio"),
}  # fmt: skip
NOT_AMOUNT = ("refund", "discount", "rabatt", "remise", "descuento", "shipping", "versand", "tax",
              "steuer", "mwst", "fee", "price", "preis", "prix", "precio")  # fmt: skip


def normalised(name) -> str:
    """Lower case ASCII letters and digits only ('Quantité' -> 'quantite')."""
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_name.lower())


def guess_mapping(frame: pd.DataFrame) -> dict[str, str | None]:
    """Target field -> source column (None when nothing fits)."""
    names = {column: normalised(column) for column in frame.columns}
    mapping: dict[str, str | None] = dict.fromkeys(FIELDS)
    free = list(frame.columns)
    for target in FIELDS:
        for wanted in EXACT[target]:
            found = next((c for c in free if names[c] == wanted), None)
            if found is not None:
                mapping[target] = found
                free.remove(found)
                break
    for target in FIELDS:
        if mapping[target] is None:
            found = next((c for c in free if _word_fits(target, names[c])), None)
            mapping[target] = found
            if found is not None:
                free.remove(found)
    _guess_by_values(frame.head(GUESS_SAMPLE), mapping, free)
    if mapping["amount"] or not mapping["quantity"]:
        mapping["price"] = None  # a line total is there, or nothing to multiply the price by
    return mapping


def _word_fits(target: str, name: str) -> bool:
    if target == "amount" and any(word in name for word in NOT_AMOUNT):
        return False
    return any(word in name for word in WORDS[target])


def _guess_by_values(sample: pd.DataFrame, mapping: dict, free: list) -> None:
    """Fill date, amount and customer id from the values when no header told."""
    if mapping["date"] is None:
        mapping["date"] = next((c for c in free if looks_like_dates(sample[c])), None)
        free[:] = [c for c in free if c != mapping["date"]]
    if mapping["amount"] is None and mapping["price"] is None:
        mapping["amount"] = next((c for c in free if _mostly_decimals(sample[c])), None)
        free[:] = [c for c in free if c != mapping["amount"]]
    repeating = [
        c for c in free if not _mostly_decimals(sample[c]) and sample[c].nunique() < len(sample)
    ]
    if mapping["customer_id"] is None and repeating:
        mapping["customer_id"] = max(repeating, key=lambda c: sample[c].nunique())


def _mostly_decimals(values: pd.Series) -> bool:
    numbers = read_amounts(values).parsed
    return numbers.notna().mean() >= 0.9 and (numbers.dropna() % 1 != 0).any()
