"""Write uk_orders.xlsx: a UK shop's spreadsheet (run from the repository root to regenerate).

Sheet "Orders": day-first dates typed as text ("05/01/2024 14:30"), customer numbers and totals as
number cells. Sheet "Typed": the same kind of log with real date cells.
"""

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

ORDERS = [
    ("UK-0001", 1001, "05/01/2024 14:30", 24.99),
    ("UK-0002", 1002, "07/01/2024 09:05", 150.00),
    ("UK-0003", 1003, "13/01/2024 18:45", 12.50),
    ("UK-0004", 1001, "02/02/2024 11:00", 59.00),
    ("UK-0005", 1004, "10/02/2024 16:20", 8.75),
    ("UK-0006", 1002, "29/02/2024 08:00", 230.40),
    ("UK-0007", 1005, "03/03/2024 13:13", 45.00),
    ("UK-0008", 1003, "11/03/2024 19:30", -12.50),
    ("UK-0009", 1006, "21/03/2024 10:10", 99.99),
    ("UK-0010", 1001, "01/04/2024 12:00", 24.99),
    ("UK-0011", 1004, "09/04/2024 15:45", 310.00),
    ("UK-0012", 1007, "30/04/2024 07:30", 18.20),
    ("UK-0013", 1005, "06/05/2024 20:15", 64.00),
    ("UK-0014", 1002, "12/05/2024 09:40", 150.00),
    ("UK-0015", 1006, "25/05/2024 17:05", 5.49),
    ("UK-0016", 1008, "04/06/2024 11:11", 72.30),
    ("UK-0017", 1003, "16/06/2024 14:00", 33.00),
    ("UK-0018", 1007, "08/07/2024 16:16", 120.00),
    ("UK-0019", 1001, "19/07/2024 10:30", 24.99),
    ("UK-0020", 1008, "02/08/2024 13:45", 410.00),
]
TYPED = [
    (2001, datetime(2024, 1, 5, 10, 0), 10.00),
    (2002, datetime(2024, 2, 6), 20.50),
    (2001, datetime(2024, 3, 7, 23, 59), 5.25),
]


def write(path: Path) -> None:
    book = Workbook()
    orders = book.active
    orders.title = "Orders"
    orders.append(["Order No", "Customer", "Order Date", "Total (£)"])
    for row in ORDERS:
        orders.append(row)
    for cell in orders["D"][1:]:
        cell.number_format = '"£"#,##0.00'
    typed = book.create_sheet("Typed")
    typed.append(["Customer", "Date", "Total"])
    for row in TYPED:
        typed.append(row)
    for cell in typed["B"][1:]:
        cell.number_format = "dd/mm/yyyy hh:mm"
    book.save(path)


if __name__ == "__main__":
    write(Path(__file__).with_name("uk_orders.xlsx"))
