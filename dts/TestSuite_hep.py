# SPDX-License-Identifier: BSD-3-Clause
"""HEPv3 export (export.hep_collector): SIP messages and records to a HOMER-style
collector over UDP.

natprobe runs on net_pcap vdevs replaying the seed captures; the collector is a
real HEP receiver from Debian (sngrep listening for HEP/EEP, writing what it
receives to a pcap that tshark then reads) or a UDP socket in the test whose
datagrams are decoded here, chunk by chunk, independently of natprobe's
encoder. Everything stays on loopback; UDP ports are picked free in 19460-19499.
"""

import json
import os
import random
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import (SCENARIOS, config_text, frames_diff, load_yaml, pcap_device,
                      read_frames, require_program)

SEED = SCENARIOS / "seed_misroute"
SIP10K = SCENARIOS / "healthy_sip_10k"
PORT_RANGE = range(19460, 19500)
WAIT_S = 5                       # every wait on a receiver is bounded by this
SEED_SIP_MESSAGES = 8            # 4 per segment (tests/fixtures/.../scenario.yaml)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def free_udp_port(host="127.0.0.1", family=socket.AF_INET):
    """A UDP port in PORT_RANGE that nothing is bound to now."""
    ports = list(PORT_RANGE)
    random.shuffle(ports)
    for p in ports:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            try:
                s.bind((host, p))
            except OSError:
                continue
            return p
    pytest.fail("no free UDP port in %d..%d" % (PORT_RANGE[0], PORT_RANGE[-1]))


def udp_bound(port, host="127.0.0.1"):
    """True when something holds the UDP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
        return False


def seed_inline(tmp_path, hep_lines="", records=None):
    """Config: both seed captures through two inline segments (as the demo),
    plus `hep_lines` under export:. Returns (text, tx files by port)."""
    tx = {n: tmp_path / ("%s_tx.pcap" % n) for n in ("c_side", "fw_in", "fw_dmz", "e_side")}
    ports = [("c_side", pcap_device(0, rx=SEED / "inside.pcap", tx=tx["c_side"])),
             ("fw_in", pcap_device(1, tx=tx["fw_in"])),
             ("fw_dmz", pcap_device(2, rx=SEED / "dmz.pcap", tx=tx["fw_dmz"])),
             ("e_side", pcap_device(3, tx=tx["e_side"]))]
    segs = [("inside", "inline", ["c_side", "fw_in"]), ("dmz", "inline", ["fw_dmz", "e_side"])]
    extra = hep_lines
    if records is not None:
        extra += "  records_file: %s\n" % records
    return config_text(ports, segs, extra=extra), tx


def hep_lines(collector, **kw):
    lines = ['  hep_collector: "%s"\n' % collector]
    for k, v in kw.items():
        lines.append('  hep_%s: %s\n' % (k, json.dumps(v) if isinstance(v, str) else v))
    return "".join(lines)


def hep_counters(r):
    c = r.counters
    return {
        "queued": c.value("natprobe_hep_queued_total", worker="0"),
        "queue_drops": c.value("natprobe_hep_queue_drops_total", worker="0"),
        "oversize": c.value("natprobe_hep_oversize_drops_total", worker="0"),
        "sent_sip": c.value("natprobe_hep_sent_total", what="sip"),
        "sent_record": c.value("natprobe_hep_sent_total", what="record"),
        "errors": sum(v for _, v in c.series("natprobe_hep_send_errors_total")),
        "refused": c.value("natprobe_hep_send_errors_total", error="refused"),
    }


def decode_hep(data):
    """HEPv3 datagram -> {type: value bytes}, checking the framing on the way
    (written from the HEP3 specification, not from natprobe's encoder)."""
    assert data[:4] == b"HEP3", data[:16]
    total = struct.unpack("!H", data[4:6])[0]
    assert total == len(data), "HEP length %d, datagram %d bytes" % (total, len(data))
    pos, chunks, order = 6, {}, []
    while pos < len(data):
        assert pos + 6 <= len(data), "chunk header cut at %d" % pos
        vendor, ctype, clen = struct.unpack("!HHH", data[pos:pos + 6])
        if vendor == 0x4E50:      # natprobe's: its origin (every packet), a flow event
            assert (ctype, clen) in ((0x4E02, 14), (0x0001, 38)), (ctype, clen)
            assert ("np", ctype) not in chunks
            chunks[("np", ctype)] = data[pos + 6:pos + clen]
            pos += clen
            continue
        assert vendor == 0 and clen >= 6 and pos + clen <= len(data), (vendor, ctype, clen)
        assert ctype not in chunks, "chunk 0x%04x twice" % ctype
        chunks[ctype] = data[pos + 6:pos + clen]
        order.append(ctype)
        pos += clen
    assert order[-1] == 0x000f, "payload chunk is not last: %s" % order
    assert ("np", 0x4E02) in chunks, "no origin chunk (the loop guard, docs/distributed.md)"
    return chunks


def hep_fields(ch):
    """The decoded chunks as plain values."""
    fam = ch[0x0001][0]
    if fam == 2:
        src, dst = socket.inet_ntoa(ch[0x0003]), socket.inet_ntoa(ch[0x0004])
        assert len(ch[0x0003]) == 4 and 0x0005 not in ch
    else:
        assert fam == 10
        src = socket.inet_ntop(socket.AF_INET6, ch[0x0005])
        dst = socket.inet_ntop(socket.AF_INET6, ch[0x0006])
    for t, n in ((0x0001, 1), (0x0002, 1), (0x0007, 2), (0x0008, 2), (0x0009, 4),
                 (0x000a, 4), (0x000b, 1), (0x000c, 4)):
        assert len(ch[t]) == n, "chunk 0x%04x has %d bytes, not %d" % (t, len(ch[t]), n)
    return {
        "family": fam, "proto": ch[0x0002][0], "src": src, "dst": dst,
        "sport": struct.unpack("!H", ch[0x0007])[0], "dport": struct.unpack("!H", ch[0x0008])[0],
        "sec": struct.unpack("!I", ch[0x0009])[0], "usec": struct.unpack("!I", ch[0x000a])[0],
        "type": ch[0x000b][0], "capture_id": struct.unpack("!I", ch[0x000c])[0],
        "key": ch.get(0x000e), "cid": ch.get(0x0011), "payload": ch[0x000f],
    }


class Receiver:
    """A UDP socket standing in for a collector; a thread reads it so nothing
    overflows while natprobe runs."""

    def __init__(self, host="127.0.0.1", family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)   # SO_RCVBUFFORCE (root)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        ports = list(PORT_RANGE)
        random.shuffle(ports)
        for p in ports:
            try:
                self.sock.bind((host, p))
                break
            except OSError:
                continue
        else:
            pytest.fail("no free UDP port in %d..%d" % (PORT_RANGE[0], PORT_RANGE[-1]))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.1)
        self.got = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                self.got.append(self.sock.recv(65535))
            except socket.timeout:
                continue
            except OSError:
                return

    def stop(self, want=None):
        """Stop reading: once `want` datagrams arrived, or after a quiet 0.3 s;
        never later than WAIT_S. Returns the datagrams."""
        end = time.monotonic() + WAIT_S
        last, quiet_since = -1, time.monotonic()
        while time.monotonic() < end:
            if want is not None and len(self.got) >= want:
                break
            if len(self.got) != last:
                last, quiet_since = len(self.got), time.monotonic()
            elif want is None and time.monotonic() - quiet_since > 0.3:
                break
            time.sleep(0.02)
        self._stop.set()
        self._t.join(WAIT_S)
        self.sock.close()
        return list(self.got)


class Sngrep:
    """sngrep as a HEP collector: `sngrep -N -q -L udp:127.0.0.1:PORT -O FILE`,
    reading only its own settings file (-F -f). It writes the pcap as packets
    arrive and closes it on SIGTERM."""

    def __init__(self, tmp_path, password=None):
        self.bin = require_program("sngrep")
        self.port = free_udp_port()
        self.out = tmp_path / "sngrep.pcap"
        rc = tmp_path / "sngreprc"
        lines = ["set eep.listen.version 3"]
        if password is not None:
            lines.append("set eep.listen.pass %s" % password)
        rc.write_text("\n".join(lines) + "\n")
        self.p = subprocess.Popen(
            [self.bin, "-F", "-f", str(rc), "-N", "-q", "-L", "udp:127.0.0.1:%d" % self.port,
             "-O", str(self.out)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        end = time.monotonic() + WAIT_S
        while not udp_bound(self.port):
            if self.p.poll() is not None or time.monotonic() > end:
                err = self.stop_raw()
                pytest.fail("sngrep did not listen on udp:127.0.0.1:%d within %d s: %s"
                            % (self.port, WAIT_S, err))
            time.sleep(0.05)

    def stop_raw(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
        try:
            _, err = self.p.communicate(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            _, err = self.p.communicate()
            pytest.fail("sngrep did not stop within %d s of SIGTERM" % WAIT_S)
        return err.decode(errors="replace")

    def frames(self, want):
        """Stop once the pcap holds `want` frames (or WAIT_S passed); its frames."""
        end = time.monotonic() + WAIT_S
        while time.monotonic() < end:
            if self.out.is_file() and self.out.stat().st_size > 24 and \
                    len(read_frames(self.out)) >= want:
                break
            time.sleep(0.05)
        self.stop_raw()
        if not self.out.is_file():
            pytest.fail("sngrep wrote no %s" % self.out)
        return read_frames(self.out)

    def close(self):
        if self.p.poll() is None:
            self.stop_raw()


@pytest.fixture
def sngrep_factory(tmp_path):
    made = []

    def make(**kw):
        s = Sngrep(tmp_path, **kw)
        made.append(s)
        return s
    yield make
    for s in made:
        s.close()


def tshark_fields(pcap, fields, display_filter="sip"):
    cmd = [require_program("tshark"), "-r", str(pcap), "-Y", display_filter, "-T", "fields", "-E",
           "separator=|", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return [dict(zip(fields, ln.split("|"))) for ln in p.stdout.splitlines() if ln]


def ipv4_l4(frame):
    """(src, dst, proto, sport, dport, payload) of an untagged Ethernet/IPv4
    TCP or UDP frame, else None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 0x0f) * 4
    tot = struct.unpack("!H", frame[16:18])[0]
    proto = frame[23]
    src, dst = socket.inet_ntoa(frame[26:30]), socket.inet_ntoa(frame[30:34])
    l4 = 14 + ihl
    end = 14 + tot
    sport, dport = struct.unpack("!HH", frame[l4:l4 + 4])
    if proto == 6:
        off = (frame[l4 + 12] >> 4) * 4
        return src, dst, proto, sport, dport, frame[l4 + off:end]
    if proto == 17:
        return src, dst, proto, sport, dport, frame[l4 + 8:end]
    return None


def tcp_streams(pcap):
    """Payload bytes per direction (src, sport, dst, dport), in capture order
    (the seed captures hold no retransmissions)."""
    out = {}
    for f in read_frames(pcap):
        t = ipv4_l4(f)
        if t and t[2] == 6 and t[5]:
            out.setdefault((t[0], t[3], t[1], t[4]), bytearray()).extend(t[5])
    return out


# --------------------------------------------------------------------------
# A real receiver: sngrep
# --------------------------------------------------------------------------

def test_sngrep_receives_the_sip_messages(probe, tmp_path, sngrep_factory):
    """SIP messages reach a real HEP receiver, as they were on the wire.

    Steps:
      1. Start sngrep -N -q -L udp:127.0.0.1:PORT -O sngrep.pcap with the
         listener's auth key set (eep.listen.pass).
      2. natprobe run: both seed captures through two inline segments,
         export.hep_collector 127.0.0.1:PORT, hep_password the same key.
      3. Stop sngrep (SIGTERM) once its pcap holds the packets; read the pcap
         with tshark and as raw frames.
    Verifies:
      - tshark finds the 8 SIP messages natprobe parsed (OPTIONS, SERVICE,
        408, 200 OK on each segment) with the addresses and ports each had
        on its segment: the SERVICE from 64.100.0.10:7003 to
        10.0.30.2:27901 inside carrying Route <sip:64.100.0.10:4401;...>,
        the 408 back; on dmz the same between 10.0.10.2:7003 and
        64.100.0.10:4401;
      - per direction, the SIP payloads sngrep received, concatenated, are
        byte for byte the TCP stream of the capture (the SERVICE spans two
        segments; the 408 and the 200 share one);
      - counters: 8 queued and sent as SIP, no drop, no send error.
    """
    sng = sngrep_factory(password="np-secret")
    text, _ = seed_inline(tmp_path, hep_lines("127.0.0.1:%d" % sng.port, password="np-secret"))
    r = probe.run_config(text)
    assert r.rc == 0, r.describe()
    h = hep_counters(r)
    frames = sng.frames(SEED_SIP_MESSAGES + h["sent_record"])
    assert h["queued"] == SEED_SIP_MESSAGES and h["sent_sip"] == SEED_SIP_MESSAGES, h
    assert h["queue_drops"] == 0 and h["oversize"] == 0 and h["errors"] == 0, h

    sip = tshark_fields(sng.out, ["ip.src", "udp.srcport", "ip.dst", "udp.dstport",
                                  "sip.Method", "sip.Status-Code", "sip.Call-ID", "sip.Route"])
    got = sorted((m["ip.src"], int(m["udp.srcport"]), m["ip.dst"], int(m["udp.dstport"]),
                  m["sip.Method"] or m["sip.Status-Code"]) for m in sip)
    c, e_pub, e_priv = "10.0.30.2", "64.100.0.10", "10.0.10.2"
    want = sorted([
        (e_pub, 7003, c, 27901, "OPTIONS"), (e_pub, 7003, c, 27901, "SERVICE"),
        (c, 27901, e_pub, 7003, "408"), (c, 27901, e_pub, 7003, "200"),
        (e_priv, 7003, e_pub, 4401, "OPTIONS"), (e_priv, 7003, e_pub, 4401, "SERVICE"),
        (e_pub, 4401, e_priv, 7003, "408"), (e_pub, 4401, e_priv, 7003, "200"),
    ])
    assert got == want, "SIP in sngrep's pcap:\n%s" % "\n".join(map(str, got))
    service = [m for m in sip if m["sip.Method"] == "SERVICE" and m["ip.dst"] == c]
    assert len(service) == 1
    assert "<sip:64.100.0.10:4401;transport=tls;apparent;ds;lr>" in service[0]["sip.Route"]
    assert service[0]["sip.Call-ID"] == "abcd12345678@127.0.0.1"

    received = {}
    for f in frames:
        t = ipv4_l4(f)
        if t and not t[5].startswith(b'{"kind":'):   # records: see the next test
            received.setdefault((t[0], t[3], t[1], t[4]), bytearray()).extend(t[5])
    wire = tcp_streams(SEED / "inside.pcap")
    wire.update(tcp_streams(SEED / "dmz.pcap"))
    assert sorted(received) == sorted(wire), "directions: %s vs %s" % (received.keys(),
                                                                      wire.keys())
    for k in wire:
        assert received[k] == wire[k], "%s: HEP payloads differ from the TCP stream" % (k,)


def test_sngrep_rejects_a_wrong_key(probe, tmp_path, sngrep_factory):
    """The auth key chunk is what a receiver checks.

    Steps:
      1. Start sngrep listening with eep.listen.pass "right".
      2. natprobe run on the seed captures with hep_password "wrong".
    Verifies:
      - natprobe sent its packets (counters), and sngrep's pcap holds none:
        the key travels in chunk 0x000e and the receiver compared it.
    """
    sng = sngrep_factory(password="right")
    text, _ = seed_inline(tmp_path, hep_lines("127.0.0.1:%d" % sng.port, password="wrong"))
    r = probe.run_config(text)
    assert r.rc == 0, r.describe()
    assert hep_counters(r)["sent_sip"] == SEED_SIP_MESSAGES
    time.sleep(0.5)                       # what would arrive has arrived by now
    frames = sng.frames(0)
    assert frames == [], "sngrep accepted %d packets with a wrong key" % len(frames)


# --------------------------------------------------------------------------
# Chunks and records, read by the test itself
# --------------------------------------------------------------------------

def test_records_arrive_as_hep_logs(probe, tmp_path):
    """Anomaly, incident and binding records are sent as HEP logs.

    Steps:
      1. Bind a UDP socket on 127.0.0.1:PORT.
      2. natprobe run on the seed captures (two inline segments) with
         hep_collector there, hep_capture_id 4242, hep_password "k3y" and a
         records file.
      3. Decode every datagram with the test's own HEPv3 reader.
    Verifies:
      - every datagram is HEP3 with consistent lengths, vendor-0 chunks and
        natprobe's origin chunk, the payload chunk last, capture id 4242 and
        auth key "k3y";
      - 8 are SIP (type 1): IPv4, TCP (proto 6), timestamps of this run;
      - the others are logs (type 100) whose payloads are, in order, exactly
        the records file's JSON lines; a record with a flow carries its
        addresses and ports, one without carries 0.0.0.0:0; records about a
        SIP message, and the incident, carry its Call-ID as correlation id
        (0x0011);
      - counters: sent{sip} 8, sent{record} = records written.
    """
    rec = tmp_path / "records.jsonl"
    rx = Receiver()
    t0 = int(time.time())
    text, _ = seed_inline(tmp_path, hep_lines("127.0.0.1:%d" % rx.port, capture_id=4242,
                                              password="k3y"), records=rec)
    r = probe.run_config(text)
    assert r.rc == 0, r.describe()
    h = hep_counters(r)
    lines = rec.read_text().splitlines()
    got = rx.stop(want=h["sent_sip"] + h["sent_record"])
    assert h["sent_sip"] == SEED_SIP_MESSAGES and h["sent_record"] == len(lines), h
    assert len(got) == SEED_SIP_MESSAGES + len(lines), len(got)

    pk = [hep_fields(decode_hep(d)) for d in got]
    for p in pk:
        assert p["capture_id"] == 4242 and p["key"] == b"k3y", p
        assert p["family"] == 2
        assert t0 - 5 <= p["sec"] <= time.time() + 5 and p["usec"] < 1000000, p
    sip = [p for p in pk if p["type"] == 1]
    logs = [p for p in pk if p["type"] == 100]
    assert len(sip) == SEED_SIP_MESSAGES and len(sip) + len(logs) == len(pk)
    assert all(p["proto"] == 6 and p["cid"] is None for p in sip)
    assert {p["payload"].split(b" ", 1)[0] for p in sip} >= {b"OPTIONS", b"SERVICE", b"SIP/2.0"}

    recs = [json.loads(x) for x in lines]
    assert [json.loads(p["payload"]) for p in logs] == recs
    assert all(not p["payload"].endswith(b"\n") for p in logs)
    kinds = {x["kind"] for x in recs}
    assert {"anomaly", "incident", "binding"} <= kinds, kinds
    for p, x in zip(logs, recs):
        if "flow" in x:
            assert "%s:%d" % (p["src"], p["sport"]) == x["flow"]["src"], (p, x)
            assert "%s:%d" % (p["dst"], p["dport"]) == x["flow"]["dst"], (p, x)
            assert p["proto"] == {"tcp": 6, "udp": 17}[x["flow"]["proto"]]
        else:
            assert (p["src"], p["sport"], p["dst"], p["dport"]) == ("0.0.0.0", 0, "0.0.0.0", 0)
        if "sip" in x:
            assert p["cid"] == x["sip"]["call_id"].encode(), (p, x)
        if x["kind"] == "incident":
            assert p["cid"] == b"abcd12345678@127.0.0.1", p


def test_ipv6_collector(probe, tmp_path):
    """A collector on an IPv6 address.

    Steps:
      1. Bind a UDP socket on [::1]:PORT (skip when the host has no IPv6
         loopback).
      2. natprobe run on the seed captures with hep_collector "[::1]:PORT".
    Verifies:
      - the socket receives every packet natprobe counted as sent, each a
        valid HEPv3 packet; no send error.
    """
    try:
        rx = Receiver(host="::1", family=socket.AF_INET6)
    except OSError as e:
        pytest.skip("no IPv6 loopback: %s" % e)
    text, _ = seed_inline(tmp_path, hep_lines("[::1]:%d" % rx.port))
    r = probe.run_config(text)
    assert r.rc == 0, r.describe()
    h = hep_counters(r)
    got = rx.stop(want=h["sent_sip"] + h["sent_record"])
    assert h["errors"] == 0 and h["sent_sip"] == SEED_SIP_MESSAGES, h
    assert len(got) == h["sent_sip"] + h["sent_record"]
    for d in got:
        assert hep_fields(decode_hep(d))["capture_id"] == 2001   # the default


# --------------------------------------------------------------------------
# Off, unreachable, overloaded
# --------------------------------------------------------------------------

def test_disabled_sends_nothing(probe, tmp_path):
    """HEP off (the default) costs nothing and sends nothing.

    Steps:
      1. Bind a UDP socket on 127.0.0.1:PORT.
      2. natprobe run on the seed captures with hep_collector "" but every
         other hep_* key set (capture id, password, queue size).
    Verifies:
      - nothing arrives on the socket;
      - every natprobe_hep_* counter is 0: no message was even copied;
      - the SIP messages were parsed all the same (8).
    """
    rx = Receiver()
    text, _ = seed_inline(tmp_path, hep_lines("", capture_id=7, password="x", queue_size=64))
    r = probe.run_config(text)
    assert r.rc == 0, r.describe()
    got = rx.stop()
    assert got == []
    assert all(v == 0 for v in hep_counters(r).values()), hep_counters(r)
    assert r.counters.value("natprobe_control_sip_messages_total") == SEED_SIP_MESSAGES


def test_unreachable_collector_forwarding_unchanged(probe, tmp_path):
    """A collector nobody listens on changes nothing but counters.

    Steps:
      1. Pick a free UDP port and leave it unbound.
      2. natprobe run: the seed captures through two inline segments, tx to
         files, hep_collector 127.0.0.1:PORT, a records file.
    Verifies:
      - exit 0; every port transmitted exactly the frames its peer received,
        byte for byte; nothing dropped;
      - the records file still holds the nat_reflection_misroute incident;
      - every HEP packet is accounted for: sent + send errors = SIP messages
        queued + records; the kernel refused some (ICMP port unreachable on
        loopback: error="refused").
    """
    port = free_udp_port()
    rec = tmp_path / "records.jsonl"
    text, tx = seed_inline(tmp_path, hep_lines("127.0.0.1:%d" % port), records=rec)
    r = probe.run_config(text)
    assert r.rc == 0, r.describe()
    assert frames_diff(read_frames(tx["fw_in"]), read_frames(SEED / "inside.pcap")) == ""
    assert frames_diff(read_frames(tx["e_side"]), read_frames(SEED / "dmz.pcap")) == ""
    assert read_frames(tx["c_side"]) == [] and read_frames(tx["fw_dmz"]) == []
    for p in ("c_side", "fw_in", "fw_dmz", "e_side"):
        assert r.counters.value("natprobe_port_dropped_packets_total", port=p) == 0
    recs = [json.loads(x) for x in rec.read_text().splitlines()]
    assert any(x["type"] == "nat_reflection_misroute" for x in recs)
    h = hep_counters(r)
    assert h["queued"] == SEED_SIP_MESSAGES
    assert h["sent_sip"] + h["sent_record"] + h["errors"] == SEED_SIP_MESSAGES + len(recs), h
    assert h["refused"] >= 1, h


def test_collector_unusable_at_start(probe, tmp_path):
    """A collector address the host cannot send to stops the start, not the probe later.

    Steps:
      1. natprobe run on the seed captures with hep_collector
         "[fe80::1]:9060" (a link-local address without an interface: the
         kernel refuses to connect() to it).
    Verifies:
      - exit 2 with exactly one stderr line
        "natprobe: export.hep_collector: cannot send to [fe80::1]:9060: ...";
      - no counters: the datapath never started.
    """
    text, _ = seed_inline(tmp_path, hep_lines("[fe80::1]:9060"))
    r = probe.run_config(text)
    errs = r.stderr_lines()
    assert r.rc == 2 and len(errs) == 1, r.describe()
    assert errs[0].startswith("natprobe: export.hep_collector: cannot send to [fe80::1]:9060: "), \
        r.describe()
    assert len(r.counters) == 0, r.describe()


def test_overload_every_message_accounted(probe, tmp_path):
    """Under load the worker drops HEP copies, counted, and forwards on.

    Steps:
      1. A receiver socket on 127.0.0.1:PORT.
      2. natprobe run: healthy_sip_10k's captures (20,008 SIP messages,
         replayed as fast as net_pcap reads) on two passive ports,
         hep_queue_size 64 (the minimum).
    Verifies:
      - every SIP message parsed was either queued for HEP or counted as a
        drop (queue full, oversize): queued + drops = SIP messages;
      - every queued message was sent or counted as a send error;
      - the worker handled every frame (HEP drops cost no frame);
      - the receiver got no more than natprobe sent.
    """
    rx = Receiver()
    ports = [("c_side", pcap_device(0, rx=SIP10K / "inside.pcap")),
             ("fw_dmz", pcap_device(1, rx=SIP10K / "dmz.pcap"))]
    segs = [("inside", "passive", ["c_side"]), ("dmz", "passive", ["fw_dmz"])]
    text = config_text(ports, segs, datapath={"flow_table_size": 65536},
                       extra=hep_lines("127.0.0.1:%d" % rx.port, queue_size=64))
    r = probe.run_config(text, timeout=120)
    assert r.rc == 0, r.describe()
    got = rx.stop()
    h = hep_counters(r)
    c = r.counters
    parsed = sum(v for _, v in c.series("natprobe_sip_requests_total")) + \
        sum(v for _, v in c.series("natprobe_sip_responses_total"))
    assert parsed == 20008
    assert h["queued"] + h["queue_drops"] + h["oversize"] == parsed, h
    assert h["queued"] > 0
    assert h["sent_sip"] <= h["queued"] and h["sent_sip"] + h["errors"] >= h["queued"], h
    meta = load_yaml(SIP10K / "scenario.yaml")
    assert c.value("natprobe_worker_packets_total", worker="0") == \
        meta["frames"]["inside"] + meta["frames"]["dmz"]
    assert 0 < len(got) <= h["sent_sip"] + h["sent_record"]


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------

BAD_HEP = [
    # (id, lines under export:, field, message fragment)
    ("name_not_address", '  hep_collector: "homer.example.net:9060"\n',
     "export.hep_collector", r"'homer.example.net:9060' is not ADDRESS:PORT"),
    ("no_port", '  hep_collector: "127.0.0.1"\n', "export.hep_collector", "not ADDRESS:PORT"),
    ("port_zero", '  hep_collector: "127.0.0.1:0"\n', "export.hep_collector", "not ADDRESS:PORT"),
    ("unspecified", '  hep_collector: "0.0.0.0:9060"\n', "export.hep_collector",
     "names no host"),
    ("v6_unbracketed", '  hep_collector: "::1:9060"\n', "export.hep_collector",
     r"\[::1\]:9060"),
    ("capture_id_negative", "  hep_capture_id: -1\n", "export.hep_capture_id",
     r"allowed 0\.\.4294967295"),
    ("capture_id_too_big", "  hep_capture_id: 4294967296\n", "export.hep_capture_id",
     r"allowed 0\.\.4294967295"),
    ("password_too_long", '  hep_password: "%s"\n' % ("p" * 65), "export.hep_password",
     r"65 characters; allowed 0\.\.64"),
    ("password_control_char", '  hep_password: "a\\tb"\n', "export.hep_password",
     "not printable ASCII"),
    ("queue_not_pow2", "  hep_queue_size: 1000\n", "export.hep_queue_size",
     "not a power of two"),
    ("queue_too_small", "  hep_queue_size: 32\n", "export.hep_queue_size",
     r"out of range; allowed 64\.\.65536"),
    ("nested_hep_key", "  hep:\n    collector: 127.0.0.1:9060\n", "export.hep",
     "unknown key"),
]


def bad_hep_config(tmp_path, lines):
    ports = [("a", pcap_device(0, rx=SEED / "inside.pcap"))]
    text = config_text(ports, [("s", "passive", ["a"])], extra=lines)
    line = text.count("\n", 0, text.index(lines)) + 1
    return text, line


@pytest.mark.parametrize("case", BAD_HEP, ids=[c[0] for c in BAD_HEP])
def test_bad_hep_settings(probe, tmp_path, case):
    """Bad export.hep_* values are rejected before anything starts.

    Steps:
      1. A valid passive config plus the case's export.hep_* line(s).
      2. natprobe check-config FILE; natprobe run -c FILE --idle-exit 1.
    Verifies:
      - both exit 2 with the same single stderr line
        "natprobe: FILE:LINE: FIELD: message", LINE the edited line, FIELD
        the key, the message saying what is wrong and what is allowed;
      - run prints no counters (DPDK never started).
    """
    import re
    _, lines, field, frag = case
    text, line = bad_hep_config(tmp_path, lines)
    path = probe.config(text)
    for r in (probe.check_config(path), probe.run("run", "-c", path, "--idle-exit", "1")):
        errs = r.stderr_lines()
        assert r.rc == 2 and len(errs) == 1, r.describe()
        prefix = "natprobe: %s:%d: %s: " % (path, line, field)
        assert errs[0].startswith(prefix), "want %r\n%s" % (prefix, r.describe())
        assert re.search(frag, errs[0]), r.describe()
        assert len(r.counters) == 0, r.describe()


def test_good_hep_settings(probe, tmp_path):
    """Valid export.hep_* settings pass check-config.

    Steps:
      1. Configs with an IPv4 collector, a bracketed IPv6 one with every
         other key at its limit, and "" (off).
    Verifies:
      - check-config prints "FILE: ok" and exits 0 for each.
    """
    for i, lines in enumerate([
            hep_lines("192.0.2.10:9060"),
            hep_lines("[2001:db8::5]:9060", capture_id=4294967295, password="p" * 64,
                      queue_size=65536),
            hep_lines("", capture_id=0, password="", queue_size=64)]):
        ports = [("a", pcap_device(0, rx=SEED / "inside.pcap"))]
        path = probe.config(config_text(ports, [("s", "passive", ["a"])], extra=lines),
                            name="good%d.yaml" % i)
        r = probe.check_config(path)
        assert r.rc == 0 and r.stdout.splitlines() == ["%s: ok" % path], r.describe()


# --------------------------------------------------------------------------
# Node name (chunk 0x0013) and TCP transport
# --------------------------------------------------------------------------

class TcpReceiver:
    """A TCP collector: accepts natprobe's connections and keeps the bytes of
    each; a thread does the reading."""

    def __init__(self, host="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ports = list(PORT_RANGE)
        random.shuffle(ports)
        for p in ports:
            try:
                self.sock.bind((host, p))
                break
            except OSError:
                continue
        else:
            pytest.fail("no free TCP port in %d..%d" % (PORT_RANGE[0], PORT_RANGE[-1]))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(4)
        self.sock.settimeout(0.1)
        self.streams = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        conns = []
        while not self._stop.is_set():
            try:
                c, _ = self.sock.accept()
                c.settimeout(0.05)
                conns.append(c)
                self.streams.append(bytearray())
            except socket.timeout:
                pass
            except OSError:
                return
            for i, c in enumerate(conns):
                try:
                    data = c.recv(1 << 20)
                    if data:
                        self.streams[i] += data
                except socket.timeout:
                    pass
                except OSError:
                    pass
        for c in conns:
            c.close()

    def stop(self):
        time.sleep(0.3)
        self._stop.set()
        self._t.join(WAIT_S)
        self.sock.close()
        return [bytes(s) for s in self.streams]


def split_stream(data):
    """HEP packets one after another on a stream, split by their length fields."""
    out, pos = [], 0
    while pos < len(data):
        assert data[pos:pos + 4] == b"HEP3", "stream lost its framing at byte %d" % pos
        n = struct.unpack("!H", data[pos + 4:pos + 6])[0]
        assert pos + n <= len(data), "packet cut at the end of the stream"
        out.append(data[pos:pos + n])
        pos += n
    return out


def test_tcp_transport_with_node_name(probe, tmp_path):
    """export.hep_transport: tcp sends the same packets on a TCP stream, each
    with the configured node name.

    Steps:
      1. A TCP listener in the test; natprobe run on the seed captures with
         hep_transport tcp, hep_node_name "probe-dc1" and a records file.
      2. Split the received stream by the HEP length fields; decode each.
    Verifies:
      - one connection; the stream is whole HEP packets, nothing left over;
      - 8 SIP messages and one log per record line, in the records' order;
      - every packet carries chunk 0x0013 "probe-dc1";
      - counters: sent{sip} 8, sent{record} = records, no send error.
    """
    rec = tmp_path / "records.jsonl"
    rx = TcpReceiver()
    text, _ = seed_inline(tmp_path, hep_lines("127.0.0.1:%d" % rx.port, transport="tcp",
                                              node_name="probe-dc1"), records=rec)
    text = text.replace('hep_transport: "tcp"', "hep_transport: tcp")
    r = probe.run_config(text)
    streams = rx.stop()
    assert r.rc == 0, r.describe()
    h = hep_counters(r)
    lines = rec.read_text().splitlines()
    assert h["sent_sip"] == SEED_SIP_MESSAGES and h["sent_record"] == len(lines), h
    assert h["errors"] == 0, h
    assert len(streams) == 1, "%d connections" % len(streams)
    pk = [decode_hep(p) for p in split_stream(streams[0])]
    assert len(pk) == SEED_SIP_MESSAGES + len(lines)
    assert all(c.get(0x0013) == b"probe-dc1" for c in pk)
    fields = [hep_fields(c) for c in pk]
    logs = [f["payload"] for f in fields if f["type"] == 100]
    assert [json.loads(x) for x in logs] == [json.loads(x) for x in lines]
    assert sum(f["type"] == 1 for f in fields) == SEED_SIP_MESSAGES


def test_node_name_defaults_to_host_name(probe, tmp_path):
    """Without hep_node_name, the node name is the host name; "" sends none.

    Steps:
      1. natprobe run on the seed captures, HEP over UDP to the test's socket,
         no hep_node_name; then again with hep_node_name "".
    Verifies:
      - first run: every packet's chunk 0x0013 is socket.gethostname();
      - second run: no packet has chunk 0x0013.
    """
    for node, want in ((None, socket.gethostname().encode()), ("", None)):
        rx = Receiver()
        kw = {} if node is None else {"node_name": node}
        text, _ = seed_inline(tmp_path, hep_lines("127.0.0.1:%d" % rx.port, **kw))
        r = probe.run_config(text)
        assert r.rc == 0, r.describe()
        h = hep_counters(r)
        got = rx.stop(want=h["sent_sip"] + h["sent_record"])
        assert got
        assert all(decode_hep(d).get(0x0013) == want for d in got), want


def test_tcp_collector_down_is_counted(probe, tmp_path):
    """A TCP collector that is not listening costs nothing but counters.

    Steps:
      1. natprobe run on the seed captures with hep_transport tcp to a port
         nothing listens on.
    Verifies:
      - exit 0, forwarding byte-identical to the input (each tx capture holds
        the frames of its peer's rx capture);
      - every message and record is counted lost (refused or busy), none
        sent: send errors = SIP messages queued + records.
    """
    port = free_udp_port()
    rec = tmp_path / "records.jsonl"
    text, tx = seed_inline(tmp_path, hep_lines("127.0.0.1:%d" % port) +
                           "  hep_transport: tcp\n", records=rec)
    r = probe.run_config(text)
    assert r.rc == 0, r.describe()
    assert frames_diff(read_frames(tx["fw_in"]), read_frames(SEED / "inside.pcap")) == ""
    assert frames_diff(read_frames(tx["e_side"]), read_frames(SEED / "dmz.pcap")) == ""
    h = hep_counters(r)
    records = len(rec.read_text().splitlines())
    assert h["sent_sip"] == 0 and h["sent_record"] == 0, h
    assert h["queued"] == SEED_SIP_MESSAGES, h
    assert h["errors"] == SEED_SIP_MESSAGES + records, h
