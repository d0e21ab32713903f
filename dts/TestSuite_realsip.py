# SPDX-License-Identifier: BSD-3-Clause
"""Findings on traffic made by real SIP software through a real kernel NAT.

The seed failure and its healthy twins rebuilt from real programs (see
dts/sipnet.py): Kamailio as Expressway-C and Expressway-E (OPTIONS
keep-alives every second on the traversal connection, a SERVICE whose Route
names the address E saw, 408 with Warning 399 when the relay is refused),
over TCP and over TLS, through nftables DNAT with and without the hairpin
source NAT, the kernel's RST; phones behind a masquerading NAT (SIPp, baresip)
talking to a Kamailio registrar and a SIPp answering machine. tcpdump records
the firewall's two wires and the hosts' own view (-i any, default offloads);
natprobe runs passively on the same wires (net_af_packet) while it happens.

Each case asserts the exact set of record types (no other type may appear),
one record per cause, and that the live records agree with `analyze` on the
captures. Skipped only where network namespaces cannot be made.
"""

import json
import signal
import subprocess
import time
from collections import Counter

import pytest

import sipnet
from conftest import natprobe_path, require_binary
from sipnet import (C_ADDR, E_ADDR, E_PUB, NAT_WAN, PHONE_ADDR, REGISTRAR, SNAT_PORT, UAS,
                    Lab, PhoneNat, Traversal)

SEED_TYPES = {"hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
              "nat_reflection_misroute"}
TLS_SEED_TYPES = {"hairpin_snat", "phantom_connect", "nat_reflection_misroute"}


@pytest.fixture(scope="module", autouse=True)
def _need_netns():
    why = sipnet.can_netns()
    if why:
        pytest.skip(why)
    sipnet.need()


# --------------------------------------------------------------------------
# natprobe on the wires, and on the captures
# --------------------------------------------------------------------------

class LiveProbe:
    """natprobe run, passive, one net_af_packet port per wire, in namespace ns."""

    def __init__(self, lab, ns, wires):
        self.lab = lab
        self.records = lab.dir / "live-records.jsonl"
        ports, segs = [], []
        for i, (seg, iface) in enumerate(wires.items()):
            ports.append('  - name: p_%s\n    device: "net_af_packet%d,iface=%s"' % (seg, i, iface))
            segs.append("  - name: %s\n    mode: passive\n    ports: [p_%s]" % (seg, seg))
        cfg = lab.dir / "natprobe.yaml"
        cfg.write_text("""eal:
  main_lcore: 0
  worker_lcores: [1]
  no_huge: true
  memory_mb: 512
  file_prefix: real%s
ports:
%s
segments:
%s
datapath:
  mbufs: 4095
export:
  metrics_listen: ""
  records_file: %s
""" % (lab.tag, "\n".join(ports), "\n".join(segs), self.records))
        self.p = lab.spawn(ns, "natprobe", [require_binary(natprobe_path()), "run", "-c", cfg,
                                            "--duration", "120"])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and "worker" not in lab.log("natprobe").lower():
            if self.p.poll() is not None:
                pytest.fail("natprobe did not start:\n" + lab.log("natprobe"), pytrace=False)
            time.sleep(0.1)
        time.sleep(0.5)

    def stop(self):
        """SIGTERM: what is still open is written at exit. @return the records."""
        rc = self.lab.stop(self.p, signal.SIGTERM, timeout=15)
        assert rc == 0, "natprobe rc=%s\n%s" % (rc, self.lab.log("natprobe")[-3000:])
        return read_records(self.records.read_text() if self.records.exists() else "")


def read_records(text):
    return [json.loads(x) for x in text.splitlines() if x.strip()]


def analyze(*args):
    r = subprocess.run([require_binary(natprobe_path()), "analyze", "--json"] +
                       [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60)
    assert r.returncode == 0, "analyze %s: rc=%d\n%s" % (args, r.returncode, r.stderr)
    return read_records(r.stdout)


def findings(recs):
    return [r for r in recs if r["kind"] in ("anomaly", "incident")]


def types(recs):
    return {r["type"] for r in findings(recs)}


def show(recs):
    return "\n".join(json.dumps(r) for r in recs)


def one_per_cause(recs):
    """No two anomaly records for the same type, endpoint, header and source."""
    keys = Counter((r["type"], r.get("endpoint"), (r.get("sip") or {}).get("header"),
                    (r.get("flow") or {}).get("src", "").rsplit(":", 1)[0])
                   for r in recs if r["kind"] == "anomaly")
    dup = [k for k, n in keys.items() if n > 1]
    assert not dup, "more than one record for %s:\n%s" % (dup, show(recs))


def signature(recs):
    """What live and offline must agree on."""
    return sorted((r["kind"], r["type"], r.get("segment", ""), r.get("endpoint", ""))
                  for r in findings(recs))


# --------------------------------------------------------------------------
# The seed and its twins, run once per module
# --------------------------------------------------------------------------

def traversal(tmp_path_factory, name, snat, tls):
    lab = Lab(tmp_path_factory.mktemp(name), "t")
    try:
        t = Traversal(lab, snat=snat, tls=tls)
        t.start_captures()
        probe = LiveProbe(lab, t.fw, {"inside": t.fw_in, "dmz": t.fw_dmz})
        c_log = t.run()
        time.sleep(2.5)                   # incidents settle 2 s after their evidence
        lab.stop_captures()
        live = probe.stop()
        return dict(pcaps=t.pcaps, live=live, c_log=c_log, e_log=lab.log("kamailio-e"),
                    dir=lab.dir)
    finally:
        lab.down()


@pytest.fixture(scope="module")
def seed_tcp(tmp_path_factory):
    return traversal(tmp_path_factory, "seed_tcp", snat=True, tls=False)


@pytest.fixture(scope="module")
def healthy_tcp(tmp_path_factory):
    return traversal(tmp_path_factory, "healthy_tcp", snat=False, tls=False)


@pytest.fixture(scope="module")
def seed_tls(tmp_path_factory):
    return traversal(tmp_path_factory, "seed_tls", snat=True, tls=True)


@pytest.fixture(scope="module")
def healthy_tls(tmp_path_factory):
    return traversal(tmp_path_factory, "healthy_tls", snat=False, tls=True)


def both_sides(run):
    return analyze("inside=%s" % run["pcaps"]["inside"], "dmz=%s" % run["pcaps"]["dmz"])


def test_seed_tcp(seed_tcp):
    """Steps: Kamailio C keeps a TCP traversal connection to E's public address
    (OPTIONS every second); the firewall DNATs it to E and source-NATs it to
    198.51.100.10:4401; a remote REGISTER makes E send a SERVICE whose Route
    names 198.51.100.10:4401; C relays to it, gets the kernel's RST, answers
    408 with Warning 399. analyze reads the firewall's two captures.
    Verifies: Kamailio really did that; exactly the seed's types, one record
    each, the incident naming C's address and the translation; not one
    private_via_contact for the keep-alives or their answers."""
    assert "relaying SERVICE" in seed_tcp["c_log"], seed_tcp["c_log"][-2000:]
    assert "%s:%d" % (E_PUB, SNAT_PORT) in seed_tcp["e_log"], seed_tcp["e_log"][-2000:]
    recs = both_sides(seed_tcp)
    assert types(recs) == SEED_TYPES, show(recs)
    one_per_cause(recs)
    assert Counter(r["type"] for r in findings(recs)) == Counter(SEED_TYPES), show(recs)
    inc = [r for r in recs if r["kind"] == "incident"][0]
    assert C_ADDR in json.dumps(inc) and "%s:%d" % (E_PUB, SNAT_PORT) == inc["endpoint"], inc
    route = [r for r in recs if r["type"] == "translated_route"][0]
    assert route["segment"] == "inside" and route["sip"]["method"] == "SERVICE", route
    timeout = [r for r in recs if r["type"] == "sip_timeout"][0]
    assert timeout["timeout"] == "fast" and timeout["sip"]["status"] == 408, timeout


def test_seed_tcp_live_matches_offline(seed_tcp):
    """Steps: natprobe run passive (net_af_packet) on the firewall's two
    interfaces while the seed happened. Verifies: its records have the same
    findings (kind, type, segment, endpoint) as analyze on the captures."""
    live = seed_tcp["live"]
    assert types(live) == SEED_TYPES, show(live)
    assert signature(live) == signature(both_sides(seed_tcp)), show(live)


def test_seed_tcp_host_captures(seed_tcp):
    """Steps: analyze the captures tcpdump took on Expressway-C and
    Expressway-E themselves (-i any: Linux cooked, default offloads).
    Verifies: the same findings as from the firewall's wires."""
    recs = analyze("c_host=%s" % seed_tcp["pcaps"]["c_host"],
                   "e_host=%s" % seed_tcp["pcaps"]["e_host"])
    assert types(recs) == SEED_TYPES, show(recs)
    one_per_cause(recs)


def test_seed_tcp_one_side(seed_tcp):
    """Steps: analyze only one side of the firewall.
    Verifies: inside alone: the refused connection to the address the Route
    named and the 408 (no binding, so no more is claimed); dmz alone with the
    operator's static NAT: the hairpin, the translated Route and the incident;
    dmz alone without it: only the 408 (whose request is seen)."""
    p = seed_tcp["pcaps"]
    recs = analyze("inside=%s" % p["inside"])
    assert types(recs) == {"phantom_connect", "sip_timeout"}, show(recs)
    assert [r["severity"] for r in recs if r["type"] == "phantom_connect"] == ["warning"]
    recs = analyze("--static-nat", "%s=%s" % (E_ADDR, E_PUB), "dmz=%s" % p["dmz"])
    assert types(recs) == {"hairpin_snat", "translated_route", "sip_timeout",
                           "nat_reflection_misroute"}, show(recs)
    one_per_cause(recs)
    recs = analyze("dmz=%s" % p["dmz"])
    assert types(recs) == {"sip_timeout"}, show(recs)


def test_healthy_tcp(healthy_tcp):
    """Steps: the same without the source NAT (DNAT only): E's Route names C's
    own address, C processes the SERVICE and answers 200.
    Verifies: no anomaly and no incident offline, live, or from the hosts'
    captures (keep-alives, their answers and the SERVICE included); the
    binding is learned."""
    assert "SERVICE for me" in healthy_tcp["c_log"], healthy_tcp["c_log"][-2000:]
    recs = both_sides(healthy_tcp)
    assert types(recs) == set(), show(recs)
    assert any(r["kind"] == "binding" for r in recs), show(recs)
    assert types(healthy_tcp["live"]) == set(), show(healthy_tcp["live"])
    recs = analyze("c_host=%s" % healthy_tcp["pcaps"]["c_host"],
                   "e_host=%s" % healthy_tcp["pcaps"]["e_host"])
    assert types(recs) == set(), show(recs)


def test_seed_tls(seed_tls):
    """Steps: the seed with the traversal over TLS (Kamailio's tls module):
    the SIP is encrypted, the TCP is not.
    Verifies: exactly the hairpin, the refused connection to the translated
    address and the incident (the binding joined on the TLS bytes), live and
    offline alike."""
    assert "relaying SERVICE" in seed_tls["c_log"], seed_tls["c_log"][-2000:]
    recs = both_sides(seed_tls)
    assert types(recs) == TLS_SEED_TYPES, show(recs)
    one_per_cause(recs)
    assert signature(seed_tls["live"]) == signature(recs), show(seed_tls["live"])


def test_healthy_tls(healthy_tls):
    """Steps: the TLS traversal without the source NAT.
    Verifies: nothing found, live or offline."""
    assert "SERVICE for me" in healthy_tls["c_log"], healthy_tls["c_log"][-2000:]
    assert types(both_sides(healthy_tls)) == set()
    assert types(healthy_tls["live"]) == set(), show(healthy_tls["live"])


# --------------------------------------------------------------------------
# Phones behind a masquerading NAT
# --------------------------------------------------------------------------

def phones(tmp_path_factory, name, act):
    lab = Lab(tmp_path_factory.mktemp(name), "p")
    try:
        n = PhoneNat(lab)
        n.start_captures()
        probe = LiveProbe(lab, n.nat, {"lan": n.lan, "wan": n.wan})
        n.start_servers()
        out = act(n)
        time.sleep(1)
        lab.stop_captures()
        live = probe.stop()
        offline = analyze("lan=%s" % n.pcaps["lan"], "wan=%s" % n.pcaps["wan"])
        return dict(live=live, offline=offline, out=out, dir=lab.dir)
    finally:
        lab.down()


def test_phone_private_contact_without_rport(tmp_path_factory):
    """Steps: a SIPp phone registers three times over UDP with its private
    address as Contact and a Via without rport, through the masquerading NAT,
    to a plain registrar (which stores what it is given).
    Verifies: exactly private_via_contact, one record for the three
    registrations (count 3), naming the Contact; live agrees."""
    def act(n):
        n.sipp("register", sipnet.SIPP_REGISTER_NO_RPORT, REGISTRAR, calls=3, rate_ms=500)
    run = phones(tmp_path_factory, "phone_contact", act)
    recs = run["offline"]
    assert types(recs) == {"private_via_contact"}, show(recs)
    pvc = [r for r in recs if r["type"] == "private_via_contact"]
    assert len(pvc) == 1 and pvc[0]["count"] == 3, show(recs)
    assert pvc[0]["sip"]["header"] == "Contact" and pvc[0]["endpoint"] == PHONE_ADDR, pvc
    assert pvc[0]["segment"] == "wan", pvc
    assert signature(run["live"]) == signature(recs), show(run["live"])


def test_phone_private_sdp(tmp_path_factory):
    """Steps: a SIPp phone that knows its public address for signalling
    (Contact 203.0.113.1, rport) but offers media on its private address,
    calls a SIPp answering machine on the internet: INVITE, 200, ACK, BYE.
    Verifies: exactly sdp_address_mismatch, one record; live agrees."""
    scen = sipnet.SIPP_CALL % dict(what="public Contact, private SDP", contact=NAT_WAN,
                                   media="[local_ip]")
    run = phones(tmp_path_factory, "phone_sdp",
                 lambda n: n.sipp("call", scen, UAS, calls=1))
    recs = run["offline"]
    assert types(recs) == {"sdp_address_mismatch"}, show(recs)
    assert len(findings(recs)) == 1, show(recs)
    assert signature(run["live"]) == signature(recs), show(run["live"])


def test_baresip_call_through_masquerade(tmp_path_factory):
    """Steps: baresip (rport, no STUN, no outbound) registers and calls the
    answering machine through the masquerading NAT.
    Verifies: exactly one private_via_contact (its Contact, in the REGISTER
    and the INVITE: one cause) and one sdp_address_mismatch (its media
    address); nothing for its Vias (rport) or for the answers; live agrees."""
    def act(n):
        return n.baresip("baresip", '<sip:alice@%s>;regint=60' % REGISTRAR,
                         ["/dial sip:bob@%s" % UAS], seconds=5)
    run = phones(tmp_path_factory, "baresip_call", act)
    recs = run["offline"]
    assert types(recs) == {"private_via_contact", "sdp_address_mismatch"}, show(recs)
    one_per_cause(recs)
    assert len(findings(recs)) == 2, show(recs)
    assert signature(run["live"]) == signature(recs), show(run["live"])


def test_healthy_phones(tmp_path_factory):
    """Steps: two phones that do NAT traversal right, through the same NAT:
    baresip with SIP outbound (RFC 5626: reg-id, +sip.instance, a GRUU) and
    STUN from the registrar, registering and, once registered, calling (a
    call placed before the 200 OK carries no GRUU, only its private Contact,
    which natprobe rightly reports); a SIPp phone with rport
    and its public address in Contact and SDP, calling.
    Verifies: no anomaly at all, live or offline (the bindings are learned)."""
    scen = sipnet.SIPP_CALL % dict(what="public Contact and SDP", contact=NAT_WAN, media=NAT_WAN)

    def act(n):
        out = n.baresip("baresip", '<sip:alice@%s>;regint=60;sipnat=outbound;'
                        'outbound="sip:%s;transport=udp";medianat=stun;'
                        'stunserver="stun:%s:5060"' % (REGISTRAR, REGISTRAR, REGISTRAR),
                        ["/dial sip:bob@%s" % UAS], seconds=5, after_register=True)
        assert "outbound" in out and "stun" in out, out
        n.sipp("call", scen, UAS, calls=1)
        return out
    run = phones(tmp_path_factory, "healthy_phones", act)
    recs = run["offline"]
    assert types(recs) == set(), show(recs)
    assert any(r["kind"] == "binding" for r in recs), show(recs)
    assert types(run["live"]) == set(), show(run["live"])
