"""The demo supermarket's shelf: about three hundred products, the same on every run.

Each SKU is built from a brand, a product line and a pack size, so the catalogue reads
like a real grocer's (brands that own categories, a store brand beside them, prices that
grow with the pack) without a data file to ship.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Line:
    """A product line: a brand sells it in a category, in several pack sizes."""

    brand: str
    code: str
    title: str
    category: str
    base_price: Decimal
    packs: tuple[str, ...]


STORE_BRAND = "Freshmart"

# Pack multipliers: the second pack costs 1.8x the first, the third 3.2x (bulk discount).
PACK_PRICE_FACTORS = (Decimal("1"), Decimal("1.8"), Decimal("3.2"))

_LINES: tuple[tuple[str, str, str, str, str, tuple[str, ...]], ...] = (
    # brand, code, title, category, price of the smallest pack, packs
    ("Dairyland", "MILK", "Whole milk", "dairy/milk", "1.09", ("1 l", "2 l", "4 l")),
    ("Dairyland", "SKIM", "Skimmed milk", "dairy/milk", "0.99", ("1 l", "2 l", "4 l")),
    ("Dairyland", "YOG", "Greek yoghurt", "dairy/yoghurt", "1.49", ("150 g", "500 g", "1 kg")),
    ("Dairyland", "BUT", "Salted butter", "dairy/butter", "2.19", ("250 g", "500 g", "1 kg")),
    ("Dairyland", "CHED", "Mature cheddar", "dairy/cheese", "2.79", ("200 g", "400 g", "800 g")),
    ("Golden Crust", "SOUR", "Sourdough loaf", "bakery/bread", "2.49", ("400 g", "800 g", "2 x 800 g")),
    ("Golden Crust", "RYE", "Seeded rye bread", "bakery/bread", "2.29", ("400 g", "800 g", "2 x 800 g")),
    ("Golden Crust", "CROI", "Butter croissants", "bakery/pastries", "1.99", ("4 pack", "8 pack", "16 pack")),
    ("Golden Crust", "BAGL", "Plain bagels", "bakery/bread", "1.79", ("4 pack", "8 pack", "16 pack")),
    ("Brightbean", "ESP", "Espresso beans", "beverages/coffee", "5.49", ("250 g", "500 g", "1 kg")),
    ("Brightbean", "FILT", "Filter coffee, ground", "beverages/coffee", "4.29", ("250 g", "500 g", "1 kg")),
    ("Brightbean", "CAPS", "Lungo capsules", "beverages/coffee", "3.99", ("10 pack", "20 pack", "50 pack")),
    ("Brightbean", "COLD", "Cold brew coffee", "beverages/coffee", "2.49", ("250 ml", "1 l", "6 x 250 ml")),
    ("Fizzwell", "LEMN", "Sparkling lemonade", "beverages/soft-drinks", "0.89", ("330 ml", "1.5 l", "12 x 330 ml")),
    ("Fizzwell", "COLA", "Cola", "beverages/soft-drinks", "0.89", ("330 ml", "1.5 l", "12 x 330 ml")),
    ("Fizzwell", "ZERO", "Cola zero sugar", "beverages/soft-drinks", "0.89", ("330 ml", "1.5 l", "12 x 330 ml")),
    ("Fizzwell", "WATR", "Sparkling mineral water", "beverages/water", "0.59", ("500 ml", "1.5 l", "6 x 1.5 l")),
    ("Crunchtime", "CHSA", "Sea salt crisps", "snacks/crisps", "1.29", ("40 g", "150 g", "6 x 25 g")),
    ("Crunchtime", "CHPA", "Paprika crisps", "snacks/crisps", "1.29", ("40 g", "150 g", "6 x 25 g")),
    ("Crunchtime", "PRET", "Pretzel twists", "snacks/crisps", "1.49", ("40 g", "175 g", "6 x 30 g")),
    ("Crunchtime", "NUTS", "Roasted almonds", "snacks/nuts", "2.99", ("100 g", "200 g", "500 g")),
    ("Crunchtime", "BAR", "Oat and honey bars", "snacks/bars", "1.99", ("4 pack", "8 pack", "16 pack")),
    ("Sparkle Home", "DISH", "Dishwasher tablets", "household/cleaning", "4.99", ("30 pack", "60 pack", "100 pack")),
    ("Sparkle Home", "SPRY", "All-purpose spray", "household/cleaning", "2.49", ("500 ml", "750 ml", "2 x 750 ml")),
    ("Sparkle Home", "LAUN", "Laundry liquid", "household/laundry", "5.99", ("1 l", "2 l", "4 l")),
    ("Sparkle Home", "SOFT", "Fabric softener", "household/laundry", "3.49", ("1 l", "2 l", "4 l")),
    ("Pure Petals", "SHAM", "Argan oil shampoo", "personal-care/hair", "3.99", ("250 ml", "400 ml", "1 l")),
    ("Pure Petals", "COND", "Argan oil conditioner", "personal-care/hair", "3.99", ("250 ml", "400 ml", "1 l")),
    ("Pure Petals", "WASH", "Body wash, citrus", "personal-care/body", "2.49", ("250 ml", "500 ml", "1 l")),
    ("Pure Petals", "LOTN", "Hand cream", "personal-care/body", "2.99", ("50 ml", "100 ml", "250 ml")),
    ("Little Sprout", "NAPS", "Nappies, size 3", "baby/nappies", "6.99", ("30 pack", "60 pack", "120 pack")),
    ("Little Sprout", "NAP4", "Nappies, size 4", "baby/nappies", "6.99", ("30 pack", "60 pack", "120 pack")),
    ("Little Sprout", "WIPE", "Sensitive baby wipes", "baby/wipes", "1.49", ("56 pack", "4 x 56", "12 x 56")),
    ("Little Sprout", "PURE", "Apple and pear puree", "baby/food", "0.99", ("120 g", "4 x 120 g", "12 x 120 g")),
    ("Happy Paws", "DOGD", "Adult dog food, chicken", "pet/dog", "3.49", ("1 kg", "3 kg", "12 kg")),
    ("Happy Paws", "DOGT", "Dental chews for dogs", "pet/dog", "2.99", ("7 pack", "14 pack", "28 pack")),
    ("Happy Paws", "CATD", "Cat food, salmon", "pet/cat", "3.29", ("1 kg", "3 kg", "10 kg")),
    ("Happy Paws", "LITR", "Clumping cat litter", "pet/cat", "4.49", ("5 l", "10 l", "20 l")),
    ("Greenfield", "APPL", "Gala apples", "produce/fruit", "1.89", ("6 pack", "1 kg", "2 kg")),
    ("Greenfield", "BANA", "Bananas", "produce/fruit", "0.99", ("5 pack", "1 kg", "2 kg")),
    ("Greenfield", "BERR", "Blueberries", "produce/fruit", "2.49", ("150 g", "300 g", "500 g")),
    ("Greenfield", "SPIN", "Baby spinach", "produce/vegetables", "1.39", ("100 g", "200 g", "500 g")),
    ("Greenfield", "TOMA", "Vine tomatoes", "produce/vegetables", "1.69", ("250 g", "500 g", "1 kg")),
    ("Greenfield", "AVOC", "Ripe avocados", "produce/vegetables", "1.99", ("2 pack", "4 pack", "8 pack")),
    (
        "Polar Kitchen",
        "PIZZ",
        "Stone-baked margherita pizza",
        "frozen/meals",
        "2.99",
        ("1 pizza", "2 pizzas", "4 pizzas"),
    ),
    ("Polar Kitchen", "PEAS", "Garden peas", "frozen/vegetables", "1.29", ("500 g", "1 kg", "2 kg")),
    ("Polar Kitchen", "ICEC", "Vanilla ice cream", "frozen/desserts", "2.49", ("500 ml", "1 l", "2 l")),
    ("Polar Kitchen", "FISH", "Breaded fish fillets", "frozen/meals", "3.49", ("4 pack", "8 pack", "16 pack")),
    (STORE_BRAND, "MILK", "Semi-skimmed milk", "dairy/milk", "0.85", ("1 l", "2 l", "4 l")),
    (STORE_BRAND, "BRED", "White sandwich loaf", "bakery/bread", "0.75", ("400 g", "800 g", "2 x 800 g")),
    (STORE_BRAND, "COFF", "Instant coffee", "beverages/coffee", "2.29", ("100 g", "200 g", "400 g")),
    (STORE_BRAND, "COLA", "Cola", "beverages/soft-drinks", "0.49", ("330 ml", "1.5 l", "12 x 330 ml")),
    (STORE_BRAND, "CRSP", "Ready salted crisps", "snacks/crisps", "0.69", ("40 g", "150 g", "6 x 25 g")),
    (STORE_BRAND, "DISH", "Washing-up liquid", "household/cleaning", "0.99", ("500 ml", "1 l", "2 x 1 l")),
    (STORE_BRAND, "RICE", "Long grain rice", "pantry/rice-pasta", "1.09", ("500 g", "1 kg", "5 kg")),
    (STORE_BRAND, "PAST", "Fusilli pasta", "pantry/rice-pasta", "0.79", ("500 g", "1 kg", "3 kg")),
    (STORE_BRAND, "TOMS", "Chopped tomatoes", "pantry/tins", "0.45", ("400 g", "4 x 400 g", "12 x 400 g")),
    (STORE_BRAND, "BEAN", "Baked beans", "pantry/tins", "0.55", ("400 g", "4 x 400 g", "12 x 400 g")),
    (STORE_BRAND, "OIL", "Olive oil", "pantry/oils", "3.99", ("500 ml", "1 l", "3 l")),
    (STORE_BRAND, "EGGS", "Free-range eggs", "dairy/eggs", "1.79", ("6 pack", "12 pack", "24 pack")),
    ("Morning Mill", "OATS", "Rolled porridge oats", "pantry/cereal", "1.49", ("500 g", "1 kg", "2 kg")),
    ("Morning Mill", "GRAN", "Honey granola", "pantry/cereal", "2.79", ("400 g", "750 g", "1.5 kg")),
    ("Morning Mill", "CORN", "Corn flakes", "pantry/cereal", "1.99", ("375 g", "750 g", "1.5 kg")),
    ("Morning Mill", "MUES", "Fruit and nut muesli", "pantry/cereal", "2.49", ("500 g", "1 kg", "2 kg")),
    ("Sunvale", "ORNG", "Orange juice, smooth", "beverages/juice", "1.69", ("1 l", "1.75 l", "4 x 1 l")),
    ("Sunvale", "APJU", "Cloudy apple juice", "beverages/juice", "1.59", ("1 l", "1.75 l", "4 x 1 l")),
    ("Sunvale", "SMOO", "Mango smoothie", "beverages/juice", "2.29", ("250 ml", "750 ml", "4 x 250 ml")),
    ("Leafwell", "BREW", "English breakfast tea", "beverages/tea", "2.19", ("40 bags", "80 bags", "240 bags")),
    ("Leafwell", "GREN", "Green tea", "beverages/tea", "1.99", ("20 bags", "40 bags", "80 bags")),
    ("Leafwell", "CHAM", "Chamomile tea", "beverages/tea", "1.89", ("20 bags", "40 bags", "80 bags")),
    ("Oakridge", "CHKN", "Chicken breast fillets", "frozen/meat", "4.49", ("300 g", "600 g", "1 kg")),
    ("Oakridge", "BURG", "Beef burgers", "frozen/meat", "3.79", ("4 pack", "8 pack", "12 pack")),
    ("Oakridge", "SAUS", "Pork sausages", "frozen/meat", "2.99", ("6 pack", "12 pack", "20 pack")),
    ("Crema", "BRIE", "French brie", "dairy/cheese", "2.89", ("200 g", "400 g", "1 kg")),
    ("Crema", "MOZZ", "Mozzarella", "dairy/cheese", "1.19", ("125 g", "3 x 125 g", "1 kg")),
    ("Crema", "CRFR", "Creme fraiche", "dairy/cream", "1.29", ("200 ml", "300 ml", "600 ml")),
    ("Saltmarsh", "TUNA", "Tuna chunks in spring water", "pantry/tins", "1.29", ("145 g", "4 x 145 g", "12 x 145 g")),
    ("Saltmarsh", "SALM", "Smoked salmon slices", "frozen/fish", "3.99", ("100 g", "200 g", "400 g")),
    ("Spicehouse", "CURR", "Korma curry sauce", "pantry/sauces", "1.79", ("450 g", "2 x 450 g", "6 x 450 g")),
    ("Spicehouse", "PEST", "Basil pesto", "pantry/sauces", "2.19", ("190 g", "2 x 190 g", "6 x 190 g")),
    ("Spicehouse", "KETC", "Tomato ketchup", "pantry/sauces", "1.69", ("460 g", "910 g", "2 x 910 g")),
    ("Spicehouse", "MAYO", "Real mayonnaise", "pantry/sauces", "1.89", ("400 ml", "600 ml", "2 x 600 ml")),
    ("Sweet Spot", "CHOC", "Milk chocolate bar", "snacks/chocolate", "1.09", ("100 g", "200 g", "4 x 100 g")),
    ("Sweet Spot", "DARK", "Dark chocolate 70%", "snacks/chocolate", "1.49", ("100 g", "200 g", "4 x 100 g")),
    ("Sweet Spot", "COOK", "Chocolate chip cookies", "snacks/biscuits", "1.29", ("150 g", "300 g", "3 x 300 g")),
    ("Sweet Spot", "DIGE", "Digestive biscuits", "snacks/biscuits", "0.99", ("400 g", "2 x 400 g", "4 x 400 g")),
    ("Freshwave", "TOOT", "Whitening toothpaste", "personal-care/oral", "2.49", ("75 ml", "2 x 75 ml", "4 x 75 ml")),
    ("Freshwave", "BRUS", "Soft toothbrush", "personal-care/oral", "1.99", ("1 pack", "2 pack", "4 pack")),
    ("Freshwave", "DEOD", "Roll-on deodorant", "personal-care/body", "1.79", ("50 ml", "2 x 50 ml", "4 x 50 ml")),
    ("Homestead", "BINS", "Bin bags", "household/essentials", "2.49", ("20 pack", "40 pack", "80 pack")),
    ("Homestead", "TISS", "Toilet tissue", "household/essentials", "3.99", ("9 rolls", "18 rolls", "36 rolls")),
    ("Homestead", "KROL", "Kitchen roll", "household/essentials", "2.29", ("2 rolls", "4 rolls", "8 rolls")),
    ("Greenfield", "CARR", "Carrots", "produce/vegetables", "0.59", ("500 g", "1 kg", "2 kg")),
    ("Greenfield", "POTA", "Baking potatoes", "produce/vegetables", "1.29", ("4 pack", "2 kg", "5 kg")),
    ("Greenfield", "GRAP", "Seedless grapes", "produce/fruit", "2.19", ("500 g", "1 kg", "2 kg")),
    ("Greenfield", "LEMO", "Unwaxed lemons", "produce/fruit", "1.09", ("4 pack", "8 pack", "1 kg")),
    ("Happy Paws", "BIRD", "Wild bird seed", "pet/birds", "2.99", ("1 kg", "2.5 kg", "5 kg")),
    ("Little Sprout", "FORM", "First infant formula", "baby/food", "9.99", ("800 g", "2 x 800 g", "4 x 800 g")),
    ("Trailhead", "TORC", "Head torch", "outdoor/camping", "19.00", ("basic", "rechargeable", "pro")),
    (STORE_BRAND, "FLOU", "Plain flour", "pantry/baking", "0.65", ("500 g", "1.5 kg", "3 kg")),
    (STORE_BRAND, "SUGR", "Granulated sugar", "pantry/baking", "0.89", ("500 g", "1 kg", "2 kg")),
    (STORE_BRAND, "BUTR", "Unsalted butter", "dairy/butter", "1.69", ("250 g", "500 g", "1 kg")),
    ("Trailhead", "TENT", "Two-person tent", "outdoor/camping", "89.00", ("standard", "lightweight", "family")),
    ("Trailhead", "STOV", "Camping stove", "outdoor/camping", "29.00", ("single burner", "double burner", "with gas")),
    ("Trailhead", "BAG", "Sleeping bag", "outdoor/camping", "39.00", ("summer", "three-season", "winter")),
)

LINES: tuple[Line, ...] = tuple(
    Line(brand, code, title, category, Decimal(price), packs) for brand, code, title, category, price, packs in _LINES
)


def brand_code(brand: str) -> str:
    """`Golden Crust` → `GOLDENCRUST`: the SKU prefix of a brand."""
    return "".join(ch for ch in brand.upper() if ch.isalnum())


def sku(line: Line, pack_index: int) -> str:
    return f"{brand_code(line.brand)}-{line.code}-{pack_index + 1}"


def products() -> list[dict[str, Any]]:
    """Every product of the demo shop as a feed row (the shape `POST /v1/products/import` takes).

    One pack in eleven is out of stock, so sponsored products have something to skip.
    """
    rows: list[dict[str, Any]] = []
    for line in LINES:
        for index, pack in enumerate(line.packs):
            code = sku(line, index)
            rows.append(
                {
                    "sku": code,
                    "title": f"{line.brand} {line.title}, {pack}",
                    "brand": line.brand,
                    "category": line.category,
                    "price": (line.base_price * PACK_PRICE_FACTORS[index]).quantize(Decimal("0.01")),
                    "available": len(rows) % 11 != 10,
                    "url": f"https://freshmart.example/p/{code.lower()}",
                    "image_url": f"https://freshmart.example/img/{code.lower()}.jpg",
                }
            )
    return rows


def skus_of(brand: str, available_only: bool = True) -> list[str]:
    return [p["sku"] for p in products() if p["brand"] == brand and (p["available"] or not available_only)]
