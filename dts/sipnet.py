# SPDX-License-Identifier: BSD-3-Clause
"""Real SIP software on a real kernel NAT, for the end-to-end suites.

Network namespaces joined by veth pairs, nftables doing the NAT, Kamailio in
Expressway-like roles, SIPp, sipsak and baresip as phones, tcpdump on the
firewall's wires and on the hosts themselves (`-i any`, default offloads).
Everything a lab starts is ended, and its namespaces deleted, by Lab.down(),
which the fixtures call even when a test fails.

Addresses: 10.x inside the namespaces, the documentation ranges for the
"public" side (198.51.100.10 is Expressway-E's public address,
203.0.113.0/24 the internet of the phone labs).
"""

import itertools
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import require_program

KAMAILIO_MODULES = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")
BARESIP_MODULES = Path("/usr/lib/baresip/modules")
BARESIP_CONSOLE = 5555   # baresip's UDP console (module cons), on the phone's address

_ids = itertools.count()


def need():
    """Every program a lab runs, or the test fails naming the package to install."""
    for prog in (require_program("ip"), require_program("nft"), require_program("sysctl"),
                 require_program("ss"), require_program("tcpdump"), require_program("kamailio"),
                 require_program("sipp"), require_program("sipsak"), require_program("baresip"),
                 require_program("openssl")):
        assert prog
    if not (KAMAILIO_MODULES / "tls.so").exists():
        pytest.fail("Kamailio's tls module is missing: it ships in Debian package "
                    "kamailio-tls-modules: run bash tools/setup.sh", pytrace=False)


def can_netns():
    """None when network namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "not root: cannot create network namespaces"
    if not shutil.which("ip"):
        return "iproute2 (ip) not installed"
    name = "npchk%d" % os.getpid()
    r = subprocess.run(["ip", "netns", "add", name], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=10)
    if r.returncode != 0:
        return "ip netns add failed: %s" % r.stderr.strip()
    subprocess.run(["ip", "netns", "del", name], timeout=10)
    return None


class Lab:
    """Namespaces, veth wires, processes and captures of one test."""

    def __init__(self, tmp, tag):
        self.tag = "%s%d%d" % (tag, os.getpid() % 10000, next(_ids))
        self.dir = Path(tmp)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.namespaces = []
        self.procs = []        # (name, Popen, log path)
        self.captures = []     # (Popen, path)
        self.n_links = 0

    # -- topology ----------------------------------------------------------
    def host(self, role):
        ns = "%s%s%s" % (os.environ.get("NP_NETNS_PREFIX", "np"), role, self.tag)
        self.sh("ip", "netns", "add", ns)
        self.namespaces.append(ns)
        self.sh("ip", "link", "set", "lo", "up", ns=ns)
        return ns

    def wire(self, ns_a, addr_a, ns_b, addr_b):
        """A veth pair between two namespaces; addresses "10.0.30.2/24". @return (if_a, if_b)."""
        self.n_links += 1
        a = ("v%d%s" % (self.n_links, self.tag))[:13] + "a"
        b = a[:-1] + "b"
        self.sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
        for ifn, ns, addr in ((a, ns_a, addr_a), (b, ns_b, addr_b)):
            self.sh("ip", "link", "set", ifn, "netns", ns)
            for one in addr.split(","):
                self.sh("ip", "addr", "add", one, "dev", ifn, ns=ns)
            self.sh("ip", "link", "set", ifn, "up", ns=ns)
        return a, b

    def sh(self, *args, ns=None, check=True, timeout=15, input=None):
        cmd = (["ip", "netns", "exec", ns] if ns else []) + [str(x) for x in args]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise AssertionError("%s: rc=%d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout,
                                                      r.stderr))
        return r

    def nft(self, ns, rules):
        self.sh("nft", "-f", "-", ns=ns, input=rules)

    # -- processes ---------------------------------------------------------
    def spawn(self, ns, name, args, cwd=None):
        log = self.dir / ("%s.log" % name)
        f = open(log, "w")
        p = subprocess.Popen(["ip", "netns", "exec", ns] + [str(a) for a in args],
                             stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True, cwd=cwd)
        f.close()
        self.procs.append((name, p, log))
        return p

    def run(self, ns, name, args, timeout=30):
        """Run to completion; (rc, output)."""
        p = self.spawn(ns, name, args)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        return p.returncode, (self.dir / ("%s.log" % name)).read_text(errors="replace")

    def log(self, name):
        path = self.dir / ("%s.log" % name)
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, p, sig=signal.SIGTERM, timeout=10):
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        return p.returncode

    def wait_listen(self, ns, proto, addr, port, timeout=10):
        """Wait until something listens on addr:port (proto "tcp" or "udp")."""
        flag = "-Hltn" if proto == "tcp" else "-Hlun"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.sh("ss", flag, "src", "%s:%d" % (addr, port), ns=ns, check=False).stdout
            if out.strip():
                return True
            time.sleep(0.1)
        return False

    def wait_established(self, ns, dst, port, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.sh("ss", "-Htn", "state", "established", "dst", "%s:%d" % (dst, port),
                          ns=ns, check=False).stdout
            if out.strip():
                return True
            time.sleep(0.1)
        return False

    # -- captures ----------------------------------------------------------
    def capture(self, ns, iface, name, bpf=()):
        """tcpdump on iface ("any" for the host's own view) into DIR/name.pcap,
        only what the pcap-filter words in bpf select when given."""
        path = self.dir / ("%s.pcap" % name)
        log = self.dir / ("tcpdump-%s.log" % name)
        f = open(log, "w")
        p = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", iface, "-s", "0",
                              "-U", "-n", "-w", str(path)] + list(bpf), stdout=f, stderr=subprocess.STDOUT,
                             start_new_session=True)
        f.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "listening on" not in log.read_text():
            if p.poll() is not None:
                raise AssertionError("tcpdump on %s/%s exited: %s" % (ns, iface, log.read_text()))
            time.sleep(0.05)
        self.captures.append((p, path))
        return path

    def stop_captures(self):
        time.sleep(0.3)                   # the last packets reach tcpdump's buffer
        for p, _ in self.captures:
            self.stop(p, signal.SIGINT)
        self.captures = []

    def down(self):
        for _, p, _ in self.procs:
            self.stop(p, signal.SIGTERM, timeout=5)
        for p, _ in self.captures:
            self.stop(p, signal.SIGKILL, timeout=5)
        for ns in self.namespaces:
            subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)
        self.namespaces = []


# --------------------------------------------------------------------------
# Kamailio in the seed's two roles
# --------------------------------------------------------------------------

KAMAILIO_HEAD = """#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
mpath="%s/"
""" % KAMAILIO_MODULES

TLS_MODULE = """enable_tls=yes
loadmodule "tls.so"
modparam("tls", "config", "%(tls_cfg)s")
"""

# Expressway-E, the traversal server: remembers where the traversal client's
# keep-alives come from (the address it sees, translated or not) and, when a
# remote client registers, sends a SERVICE to the traversal client over that
# connection with a Route naming that address (the seed's Route header).
E_CFG = KAMAILIO_HEAD + """%(tls)s
listen=%(tp)s:%(e_addr)s:%(trav_port)d
listen=udp:%(e_addr)s:5060
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "htable.so"
loadmodule "uac.so"
loadmodule "xlog.so"
loadmodule "siputils.so"
modparam("htable", "htable", "trav=>size=4;")
request_route {
	if (is_method("OPTIONS")) {
		$sht(trav=>peer) = $si + ":" + $sp;
		sl_send_reply("200", "OK");
		exit;
	}
	if (is_method("REGISTER")) {
		if ($sht(trav=>peer) == $null) {
			sl_send_reply("503", "No traversal client");
			exit;
		}
		xlog("L_NOTICE", "SERVICE to the traversal client at $sht(trav=>peer)\\n");
		$uac_req(method) = "SERVICE";
		$uac_req(ruri) = "sip:serviceserver@cucm02.example.local";
		$uac_req(furi) = "sip:serviceproxy@cucm02.example.local";
		$uac_req(turi) = "sip:serviceserver@cucm02.example.local";
		$uac_req(ouri) = "sip:" + $sht(trav=>peer) + ";transport=%(tp)s";
		$uac_req(hdrs) = "Route: <sip:" + $sht(trav=>peer) + ";transport=%(tp)s;lr>\\r\\nContact: <sip:serviceproxy@%(e_addr)s:%(trav_port)d;transport=%(tp)s>\\r\\nEvent: service\\r\\n";
		uac_req_send();
		sl_send_reply("200", "OK");
		exit;
	}
	sl_send_reply("404", "Not here");
}
"""

# Expressway-C, the traversal client: keeps a connection to E's public address
# with OPTIONS every second (dispatcher probing) from its own listening port,
# and follows the Route of what E sends: a Route to itself is processed here
# (200 OK), any other is relayed; a relay that cannot connect is answered
# 408 with Warning 399, as the seed's Expressway-C does.
C_CFG = KAMAILIO_HEAD + """%(tls)s
tcp_reuse_port=yes
listen=%(tp)s:%(c_addr)s:%(c_port)d
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "xlog.so"
loadmodule "siputils.so"
loadmodule "dispatcher.so"
modparam("dispatcher", "list_file", "%(ds_list)s")
modparam("dispatcher", "ds_ping_interval", 1)
modparam("dispatcher", "ds_probing_mode", 1)
modparam("dispatcher", "ds_ping_from", "sip:traversal@%(c_addr)s")
modparam("tm", "fr_timer", 1000)
modparam("tm", "failure_exec_mode", 1)
request_route {
	if (is_method("OPTIONS")) {
		sl_send_reply("200", "OK");
		exit;
	}
	if (loose_route()) {
		xlog("L_NOTICE", "relaying $rm to $du by its Route\\n");
		t_on_failure("NEXT_HOP_FAILED");
		t_relay();
		exit;
	}
	if (is_method("SERVICE")) {
		xlog("L_NOTICE", "SERVICE for me\\n");
		sl_send_reply("200", "OK");
		exit;
	}
	sl_send_reply("404", "Not here");
}
failure_route[NEXT_HOP_FAILED] {
	append_to_reply("Warning: 399 %(c_addr)s \\"Request Timeout\\"\\r\\n");
	t_reply("408", "Request Timeout");
}
"""

TLS_CFG = """[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = %(key)s
certificate = %(cert)s

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
"""

# A plain registrar and STUN server on the phones' internet (no NAT helper:
# what it stores is what the phone sent).
REGISTRAR_CFG = KAMAILIO_HEAD + """
listen=udp:%(addr)s:5060
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "stun.so"
modparam("usrloc", "db_mode", 0)
request_route {
	if (is_method("REGISTER")) {
		if (!save("location")) sl_reply_error();
		exit;
	}
	if (is_method("OPTIONS")) {
		sl_send_reply("200", "OK");
		exit;
	}
	sl_send_reply("404", "Not here");
}
"""


def kamailio(lab, ns, name, text):
    cfg = lab.dir / ("%s.cfg" % name)
    cfg.write_text(text)
    run = lab.dir / ("run-%s" % name)
    run.mkdir(exist_ok=True)
    chk = lab.sh("kamailio", "-c", "-f", cfg, check=False)
    assert chk.returncode == 0, "kamailio -c %s:\n%s%s" % (cfg, chk.stdout, chk.stderr)
    return lab.spawn(ns, name, ["kamailio", "-DD", "-E", "-f", cfg, "-Y", run, "-m", "32",
                                "-M", "4"])


# Kamailio's own HEP encoder: siptrace mirrors every SIP message the instance
# sends or receives (core events, trace_mode 1) as HEPv3 to a collector, over
# UDP, or over TCP with ";transport=tcp" on duplicate_uri (siptrace's docs:
# the URI's transport is the one used; Kamailio opens the connection itself).
SIPTRACE = """listen=udp:%(addr)s:9061
loadmodule "siptrace.so"
modparam("siptrace", "duplicate_uri", "sip:%(collector)s:9060%(transport)s")
modparam("siptrace", "hep_mode_on", 1)
modparam("siptrace", "hep_version", 3)
modparam("siptrace", "hep_capture_id", %(agent)d)
modparam("siptrace", "trace_to_database", 0)
modparam("siptrace", "trace_on", 1)
modparam("siptrace", "trace_mode", 1)
"""


def tls_files(lab):
    key, cert = lab.dir / "key.pem", lab.dir / "cert.pem"
    lab.sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
           "-subj", "/CN=expressway.lab", "-keyout", key, "-out", cert)
    cfg = lab.dir / "tls.cfg"
    cfg.write_text(TLS_CFG % dict(key=key, cert=cert))
    return cfg


# A HEP collector that only accepts and reads (TCP): what tcpdump captures
# on its way is the test's input. Bounded: it exits after a minute.
HEP_SINK = r"""
import selectors, socket, sys, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2])))
srv.listen(16)
sel = selectors.DefaultSelector()
sel.register(srv, selectors.EVENT_READ)
end = time.monotonic() + 60
while time.monotonic() < end:
    for k, _ in sel.select(0.5):
        if k.fileobj is srv:
            c, _ = srv.accept()
            sel.register(c, selectors.EVENT_READ)
        elif not k.fileobj.recv(65536):
            sel.unregister(k.fileobj)
            k.fileobj.close()
"""


def hep_sink(lab, ns, addr="0.0.0.0", port=9060):
    """A TCP HEP collector in @ns that reads and drops (see HEP_SINK)."""
    p = lab.spawn(ns, "hep-sink", ["/usr/bin/python3", "-c", HEP_SINK, addr, str(port)])
    assert lab.wait_listen(ns, "tcp", addr, port), lab.log("hep-sink")
    return p


# --------------------------------------------------------------------------
# The seed on a real firewall
# --------------------------------------------------------------------------

C_ADDR, FW_IN, FW_DMZ, E_ADDR = "10.0.30.2", "10.0.30.1", "10.0.10.1", "10.0.10.2"
E_PUB, TRAV_PORT, C_PORT, SNAT_PORT = "198.51.100.10", 7003, 5070, 4401


class Traversal:
    """Expressway-C -- inside -- firewall -- dmz -- Expressway-E, both Kamailio.

    The firewall DNATs E's public address 198.51.100.10:7003 to 10.0.10.2:7003
    and resets any other port of it from the inside (the kernel's RST). With
    snat it also source-NATs C's traversal connection to 198.51.100.10:4401,
    E's own public address (NAT reflection): the seed. Captures: the
    firewall's two wires (inside, dmz), and C's and E's own view (-i any).
    """

    def __init__(self, lab, snat, tls, hep=False):
        """hep: False, True (siptrace's HEP over UDP) or "tcp" (over TCP, to a
        collector the firewall runs: hep_sink())."""
        self.lab, self.snat, self.tls, self.hep = lab, snat, tls, hep
        self.tp = "tls" if tls else "tcp"
        self.c = lab.host("C")
        self.fw = lab.host("FW")
        self.e = lab.host("E")
        self.c_if, self.fw_in = lab.wire(self.c, C_ADDR + "/24", self.fw, FW_IN + "/24")
        self.fw_dmz, self.e_if = lab.wire(self.fw, FW_DMZ + "/24", self.e, E_ADDR + "/24")
        lab.sh("ip", "route", "add", "default", "via", FW_IN, ns=self.c)
        lab.sh("ip", "route", "add", "default", "via", FW_DMZ, ns=self.e)
        lab.sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=self.fw)
        lab.sh("ip", "route", "add", E_PUB + "/32", "via", E_ADDR, ns=self.fw)
        snat_rule = ""
        if snat:
            snat_rule = ('oifname "%s" ip saddr %s ip daddr %s tcp dport %d snat ip to %s:%d'
                         % (self.fw_dmz, C_ADDR, E_ADDR, TRAV_PORT, E_PUB, SNAT_PORT))
        lab.nft(self.fw, """table ip natprobe_lab {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "%(fi)s" ip daddr %(pub)s tcp dport %(tp)d dnat ip to %(e)s:%(tp)d
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    %(snat)s
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "%(fi)s" ip daddr %(pub)s tcp dport != %(tp)d reject with tcp reset
  }
}
""" % dict(fi=self.fw_in, pub=E_PUB, tp=TRAV_PORT, e=E_ADDR, snat=snat_rule))

    def start_captures(self):
        lab = self.lab
        self.pcaps = {
            "inside": lab.capture(self.fw, self.fw_in, "inside"),
            "dmz": lab.capture(self.fw, self.fw_dmz, "dmz"),
            "c_host": lab.capture(self.c, "any", "c_host"),
            "e_host": lab.capture(self.e, "any", "e_host"),
        }

    def run(self):
        """E and C up, the traversal connection with its keep-alives, a remote
        client's REGISTER at E (sipsak): E sends the SERVICE. Returns C's log."""
        lab = self.lab
        tls = ""
        if self.tls:
            tls = TLS_MODULE % dict(tls_cfg=tls_files(lab))
        trace_e = trace_c = ""
        if self.hep:                      # agents 102 (E) and 101 (C), collector on the firewall
            transport = ";transport=tcp" if self.hep == "tcp" else ""
            trace_e = SIPTRACE % dict(addr=E_ADDR, collector=FW_DMZ, agent=102,
                                      transport=transport)
            trace_c = SIPTRACE % dict(addr=C_ADDR, collector=FW_IN, agent=101,
                                      transport=transport)
        kamailio(lab, self.e, "kamailio-e", E_CFG % dict(tls=tls + trace_e, tp=self.tp, e_addr=E_ADDR,
                                                          trav_port=TRAV_PORT))
        assert lab.wait_listen(self.e, "tcp", E_ADDR, TRAV_PORT), lab.log("kamailio-e")
        ds = lab.dir / "dispatcher.list"
        ds.write_text("1 sip:%s:%d;transport=%s 0 0 socket=%s:%s:%d\n"
                      % (E_PUB, TRAV_PORT, self.tp, self.tp, C_ADDR, C_PORT))
        kamailio(lab, self.c, "kamailio-c", C_CFG % dict(tls=tls + trace_c, tp=self.tp, c_addr=C_ADDR,
                                                          c_port=C_PORT, ds_list=ds))
        assert lab.wait_established(self.c, E_PUB, TRAV_PORT, 15), \
            "no traversal connection\n" + lab.log("kamailio-c")
        time.sleep(2.2)                   # two more keep-alives on it
        rc, out = lab.run(self.e, "sipsak", ["sipsak", "-U", "-s", "sip:mra-user@%s:5060" % E_ADDR,
                                             "-C", "sip:mra-user@%s:5099" % E_ADDR, "-x", "60",
                                             "-v"])
        assert rc == 0, "sipsak REGISTER at E failed: %s" % out
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            log = lab.log("kamailio-c")
            if "SERVICE for me" in log or "NEXT_HOP" in log or "relaying" in log:
                break
            time.sleep(0.1)
        time.sleep(2.5)                   # the 408 (fr_timer 1 s), one more keep-alive
        return lab.log("kamailio-c")


# --------------------------------------------------------------------------
# Phones behind a masquerading NAT
# --------------------------------------------------------------------------

PHONE_ADDR, NAT_LAN, NAT_WAN, REGISTRAR, UAS = (
    "10.0.1.3", "10.0.1.1", "203.0.113.1", "203.0.113.5", "203.0.113.6")


class PhoneNat:
    """phone (10.0.1.3) -- lan -- NAT (masquerade to 203.0.113.1) -- wan -- internet
    (a Kamailio registrar and STUN server at 203.0.113.5, a SIPp answering
    machine at 203.0.113.6). Captures: the NAT's two wires (lan, wan)."""

    def __init__(self, lab):
        self.lab = lab
        self.phone = lab.host("P")
        self.nat = lab.host("N")
        self.net = lab.host("I")
        self.ph_if, self.lan = lab.wire(self.phone, PHONE_ADDR + "/24", self.nat, NAT_LAN + "/24")
        self.wan, self.net_if = lab.wire(self.nat, NAT_WAN + "/24", self.net,
                                         "%s/24,%s/24" % (REGISTRAR, UAS))
        lab.sh("ip", "route", "add", "default", "via", NAT_LAN, ns=self.phone)
        lab.sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=self.nat)
        lab.nft(self.nat, """table ip natprobe_lab {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "%s" masquerade
  }
}
""" % self.wan)

    def start_captures(self):
        self.pcaps = {"lan": self.lab.capture(self.nat, self.lan, "lan"),
                      "wan": self.lab.capture(self.nat, self.wan, "wan")}

    def start_servers(self):
        lab = self.lab
        kamailio(lab, self.net, "registrar", REGISTRAR_CFG % dict(addr=REGISTRAR))
        assert lab.wait_listen(self.net, "udp", REGISTRAR, 5060), lab.log("registrar")
        self.uas = lab.spawn(self.net, "sipp-uas", ["sipp", "-sn", "uas", "-i", UAS, "-p", "5060",
                                                    "-nostdin", "-m", "1000"])
        assert lab.wait_listen(self.net, "udp", UAS, 5060), lab.log("sipp-uas")

    def sipp(self, name, scenario, target, calls=1, rate_ms=None, extra=()):
        """A SIPp client from the phone, running a scenario file to its end."""
        xml = self.lab.dir / ("%s.xml" % name)
        xml.write_text(scenario)
        args = ["sipp", "-sf", xml, "-i", PHONE_ADDR, "-p", "5060", "-m", str(calls), "-l", "1",
                "-nostdin", "-timeout", "20"] + list(extra)
        if rate_ms:
            args += ["-r", "1", "-rp", str(rate_ms)]
        rc, out = self.lab.run(self.phone, name, args + [target], timeout=40)
        assert rc == 0, "sipp %s failed (rc %d):\n%s" % (name, rc, out[-3000:])

    def baresip(self, name, account, commands=(), seconds=5, after_register=False):
        """baresip on the phone for a few seconds, running menu commands: at
        start (-e), or with after_register once its registration has been
        answered 200 OK, sent to its UDP console (baresip runs -e commands as
        soon as it is ready, and a /dial then races the REGISTER: with SIP
        outbound the INVITE carries the GRUU only if the 200 OK came first)."""
        d = self.lab.dir / name
        d.mkdir(exist_ok=True)
        console = "module cons.so\ncons_listen %s:%d\n" % (PHONE_ADDR, BARESIP_CONSOLE) \
            if after_register else ""
        (d / "config").write_text("""module_path %s
sip_listen %s:5060
audio_player aufile,%s
audio_source ausine,440
ausrc_srate 48000
auplay_srate 48000
module g711.so
module ausine.so
module aufile.so
module stun.so
module uuid.so
module account.so
module menu.so
%s""" % (BARESIP_MODULES, PHONE_ADDR, d / "heard.wav", console))
        (d / "accounts").write_text(account + "\n")
        args = ["baresip", "-f", d, "-t", str(seconds)]
        if not after_register:
            for cmd in commands:
                args += ["-e", cmd]
            rc, out = self.lab.run(self.phone, name, args, timeout=seconds + 20)
            assert rc == 0, "baresip %s failed (rc %d):\n%s" % (name, rc, out[-3000:])
            return out
        p = self.lab.spawn(self.phone, name, args)
        deadline = time.monotonic() + seconds
        while " 200 OK " not in self.lab.log(name) and p.poll() is None:
            assert time.monotonic() < deadline, \
                "baresip %s: no registration within %d s\n%s" % (name, seconds,
                                                                  self.lab.log(name)[-3000:])
            time.sleep(0.02)
        for cmd in commands:
            self.lab.sh("/usr/bin/python3", "-c",
                        "import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
                        ".sendto(sys.argv[1].encode() + b'\\n', (sys.argv[2], int(sys.argv[3])))",
                        cmd, PHONE_ADDR, str(BARESIP_CONSOLE), ns=self.phone)
        try:
            p.wait(timeout=seconds + 20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        out = self.lab.log(name)
        assert p.returncode == 0, "baresip %s failed (rc %d):\n%s" % (name, p.returncode,
                                                                       out[-3000:])
        return out


# SIPp scenarios of phones behind the NAT. [public_ip] is the NAT's public
# address, as a phone that learned it (STUN, configuration) would write it.
SIPP_REGISTER_NO_RPORT = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="REGISTER with a private Contact, Via without rport">
  <send retrans="500">
    <![CDATA[
REGISTER sip:[remote_ip] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:carol@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:carol@[remote_ip]>
Call-ID: [call_id]
CSeq: [call_number] REGISTER
Contact: <sip:carol@[local_ip]:[local_port]>
Max-Forwards: 70
Expires: 120
User-Agent: SIPp phone behind NAT
Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
"""

SIPP_CALL = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="a call: %(what)s">
  <send retrans="500">
    <![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:dave@[local_ip]>;tag=[pid]SIPpTag09[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:dave@%(contact)s:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=dave 53655765 2353687637 IN IP4 %(media)s
s=-
c=IN IP4 %(media)s
t=0 0
m=audio 6000 RTP/AVP 0
a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:dave@[local_ip]>;tag=[pid]SIPpTag09[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:dave@%(contact)s:[local_port]>
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="300"/>
  <send retrans="500">
    <![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:dave@[local_ip]>;tag=[pid]SIPpTag09[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: <sip:dave@%(contact)s:[local_port]>
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
"""
