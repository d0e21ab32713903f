#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Record scenario fixtures from real SIP software through a real kernel NAT.

Runs the labs of dts/sipnet.py (network namespaces, nftables, Kamailio,
SIPp, baresip, tcpdump) and keeps each one's two captures as a scenario folder
under tests/fixtures/scenarios/, with the exact set of types a correct
analysis reports (scenario.yaml: expect, and every other type in forbid).
Unlike tools/gen_scenario.py the captures are not reproducible byte for byte
(real programs choose ports, tags and times): re-record only when a lab
changes, and check the diff of the expectations.

    sudo /usr/bin/python3 tools/gen_realsip.py [--out DIR] [NAME...]

Needs root (network namespaces) and the packages tools/setup.sh installs.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "dts"))

import sipnet  # noqa: E402

ALL_TYPES = ["hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
             "private_via_contact", "sdp_address_mismatch", "alg_rewrite",
             "nat_reflection_misroute"]


def traversal(lab, snat, tls):
    t = sipnet.Traversal(lab, snat=snat, tls=tls)
    t.start_captures()
    log = t.run()
    want = "relaying SERVICE" if snat else "SERVICE for me"
    if want not in log:
        sys.exit("gen_realsip: Expressway-C did not do what the scenario needs:\n" + log[-2000:])
    time.sleep(1)
    lab.stop_captures()
    return {"inside": t.pcaps["inside"], "dmz": t.pcaps["dmz"]}


def baresip_call(lab, outbound):
    n = sipnet.PhoneNat(lab)
    n.start_captures()
    n.start_servers()
    account = "<sip:alice@%s>;regint=60" % sipnet.REGISTRAR
    if outbound:
        account += (';sipnat=outbound;outbound="sip:%s;transport=udp";medianat=stun;'
                    'stunserver="stun:%s:5060"' % (sipnet.REGISTRAR, sipnet.REGISTRAR))
    n.baresip("baresip", account, ["/dial sip:bob@%s" % sipnet.UAS], seconds=5)
    time.sleep(1)
    lab.stop_captures()
    return {"lan": n.pcaps["lan"], "wan": n.pcaps["wan"]}


TRAVERSAL = ("Kamailio as Expressway-C (traversal client, OPTIONS keep-alives every second "
             "from 10.0.30.2:5070) and Expressway-E (10.0.10.2:7003, public 198.51.100.10); "
             "nftables on the firewall DNATs 198.51.100.10:7003 to E and resets other ports")
SCENARIOS = {
    "kamailio_seed_tcp": dict(
        run=lambda lab: traversal(lab, snat=True, tls=False),
        description=TRAVERSAL + ", and source-NATs C to 198.51.100.10:4401 (the seed): E's "
        "SERVICE routes to 198.51.100.10:4401, C's relay gets the kernel's RST, C answers "
        "408 with Warning 399. TCP.",
        static_nat=[{"private": sipnet.E_ADDR, "public": sipnet.E_PUB}],
        expect=["hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
                "nat_reflection_misroute"]),
    "kamailio_healthy_tcp": dict(
        run=lambda lab: traversal(lab, snat=False, tls=False),
        description=TRAVERSAL + "; no source NAT: E's Route names C itself, C answers 200. TCP.",
        static_nat=[{"private": sipnet.E_ADDR, "public": sipnet.E_PUB}],
        expect=[]),
    "kamailio_seed_tls": dict(
        run=lambda lab: traversal(lab, snat=True, tls=True),
        description=TRAVERSAL + ", and source-NATs C to 198.51.100.10:4401 (the seed), the "
        "traversal in TLS (Kamailio's tls module): the SIP is not readable.",
        static_nat=[{"private": sipnet.E_ADDR, "public": sipnet.E_PUB}],
        expect=["hairpin_snat", "phantom_connect", "nat_reflection_misroute"]),
    "baresip_masquerade_call": dict(
        run=lambda lab: baresip_call(lab, outbound=False),
        description="baresip at 10.0.1.3 behind nftables masquerade (203.0.113.1) registers "
        "at a plain Kamailio registrar (203.0.113.5) and calls a SIPp answering machine "
        "(203.0.113.6); rport, no STUN, no outbound: its Contact and SDP are private.",
        static_nat=[],
        expect=["private_via_contact", "sdp_address_mismatch"]),
    "baresip_outbound_stun": dict(
        run=lambda lab: baresip_call(lab, outbound=True),
        description="The same phone with SIP outbound (RFC 5626) and STUN from the registrar: "
        "NAT traversal done right.",
        static_nat=[],
        expect=[]),
}


def write_yaml(path, name, meta, caps):
    lines = ["# Recorded by tools/gen_realsip.py from real programs; re-record, do not edit.",
             "name: %s" % name, "description: >-"]
    words, line = meta["description"].split(), "  "
    for w in words:
        if len(line) + len(w) > 78:
            lines.append(line.rstrip())
            line = "  "
        line += w + " "
    lines.append(line.rstrip())
    lines.append("captures:")
    lines += ["  %s: %s" % (seg, Path(p).name) for seg, p in caps.items()]
    if meta["static_nat"]:
        lines.append("static_nat:")
        lines += ["  - {private: %s, public: %s}" % (e["private"], e["public"])
                  for e in meta["static_nat"]]
    lines.append("expect: [%s]" % ", ".join(meta["expect"]))
    lines.append("forbid: [%s]" % ", ".join(t for t in ALL_TYPES if t not in meta["expect"]))
    path.write_text("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "tests/fixtures/scenarios"))
    ap.add_argument("names", nargs="*", help="scenarios (default: all): %s"
                    % ", ".join(SCENARIOS))
    args = ap.parse_args()
    why = sipnet.can_netns()
    if why:
        sys.exit("gen_realsip: " + why)
    for name in args.names or SCENARIOS:
        meta = SCENARIOS[name]
        with tempfile.TemporaryDirectory() as tmp:
            lab = sipnet.Lab(tmp, "g")
            try:
                caps = meta["run"](lab)
            finally:
                lab.down()
            dest = Path(args.out) / name
            dest.mkdir(parents=True, exist_ok=True)
            for seg, p in caps.items():
                shutil.copyfile(p, dest / Path(p).name)
            write_yaml(dest / "scenario.yaml", name, meta, caps)
            print("gen_realsip: %s: %s" % (name, ", ".join(
                "%s %d bytes" % (Path(p).name, Path(p).stat().st_size) for p in caps.values())))


if __name__ == "__main__":
    main()
