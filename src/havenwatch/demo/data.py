"""Reference data for the synthetic ports: real port names and UN/LOCODEs, invented companies."""

PORTS = [
    # name, UN/LOCODE, centre (lat, lon), authority
    ("Antwerp-Bruges (Antwerp)", "BEANR", (51.2850, 4.3200), "Port of Antwerp-Bruges"),
    ("Antwerp-Bruges (Zeebrugge)", "BEZEE", (51.3300, 3.2050), "Port of Antwerp-Bruges Zeebrugge"),
    ("North Sea Port (Ghent)", "BEGNE", (51.1300, 3.7500), "North Sea Port Flanders"),
    ("Ostend", "BEOST", (51.2350, 2.9350), "Port of Ostend"),
    ("Liège", "BELGG", (50.6700, 5.6000), "Port de Liège"),
    ("Brussels", "BEBRU", (50.8800, 4.3700), "Port of Brussels"),
]

FACILITY_NAMES = [
    "Scheldt Container Terminal", "Kallo Ro-Ro Terminal", "Zandvliet Tank Terminal", "Cruise Terminal",
    "Delwaide Bulk Terminal", "Waaslandhaven Multipurpose Terminal", "Noordzee Car Terminal", "Fruit Terminal",
    "Chemical Jetty", "Lock Complex", "Breakbulk Quay", "LNG Terminal", "Grain Silo Terminal",
    "Steel Terminal", "Feeder Terminal",
]

COMPANY_KINDS = [
    ("transport_company", ["Flanders Haulage", "Scheldt Trucking", "Kempen Transport", "Polder Logistics"]),
    ("forwarder", ["Kempen Forwarding", "Delta Freight Forwarders", "Noordster Forwarding"]),
    ("shipping_line", ["Oceanic Lines", "Northsea Shipping Agency", "Baltic Feeder Lines"]),
    ("company", ["Guardian Security", "Dockside Maintenance", "Harbour Catering", "Quay Crane Services"]),
]

AUTHORITIES = [
    ("customs", "Customs and Excise {port}"),
    ("police", "Federal Maritime Police {port}"),
    ("maritime_authority", "Maritime Security Unit"),
    ("committee", "Local Committee for Maritime Security {port}"),
]


def belgian_vat(serial: int) -> str:
    """A Belgian VAT number with valid check digits (0 + 7 digits + 97-modulus check)."""
    base = 4_000_000 + serial  # 0[4xxxxxx]: the range Belgian companies use
    first8 = int(f"0{base:07d}")
    check = 97 - (first8 % 97)
    return f"BE0{base:07d}{check:02d}"


def square(lat: float, lon: float, half_lat: float, half_lon: float) -> dict:
    ring = [
        [round(lon - half_lon, 5), round(lat - half_lat, 5)],
        [round(lon + half_lon, 5), round(lat - half_lat, 5)],
        [round(lon + half_lon, 5), round(lat + half_lat, 5)],
        [round(lon - half_lon, 5), round(lat + half_lat, 5)],
        [round(lon - half_lon, 5), round(lat - half_lat, 5)],
    ]
    return {"type": "Polygon", "coordinates": [ring]}
