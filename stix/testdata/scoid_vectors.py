#!/usr/bin/env python3
"""Produces scoid_vectors.json, the expected deterministic identifiers of STIX 2.1
cyber-observables, independently of the Go implementation.

Run: python3 stix/testdata/scoid_vectors.py > stix/testdata/scoid_vectors.json

Only the Python standard library is used: uuid.uuid5 in the STIX SCO namespace over the
canonical JSON of the ID-contributing properties. For the plain strings, integers, lists and
objects used here, RFC 8785 canonical JSON equals json.dumps with sorted keys, no spaces and
ensure_ascii=False (both escape only '"', '\\' and control characters, the latter as \\n, \\t,
... or lower-case \\u00xx). Of `hashes` only one contributes: MD5, SHA-1, SHA-256, SHA-512 in
that order, else the first key as written. With no contributing property the id is random,
written here as "random".

The timestamps start and end of network-traffic contribute as python-stix2 (the OASIS
reference implementation) hashes them: parsed, then re-serialised in UTC with the fraction
of a second trimmed of trailing zeros and omitted when zero (its TimestampProperty has
precision "any"), so that 10:00:00.000Z and 10:00:00Z give one id. timestamp_as_stix2 does
that with the standard library.
"""
import datetime
import json
import uuid

NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

CONTRIBUTING = {
    "artifact": ["hashes", "payload_bin"],
    "autonomous-system": ["number"],
    "directory": ["path"],
    "domain-name": ["value"],
    "email-addr": ["value"],
    "email-message": ["from_ref", "subject", "body"],
    "file": ["hashes", "name", "extensions", "parent_directory_ref"],
    "ipv4-addr": ["value"],
    "ipv6-addr": ["value"],
    "mac-addr": ["value"],
    "mutex": ["name"],
    "network-traffic": ["start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"],
    "process": [],
    "software": ["name", "cpe", "swid", "vendor", "version"],
    "url": ["value"],
    "user-account": ["account_type", "user_id", "account_login"],
    "windows-registry-key": ["key", "values"],
    "x509-certificate": ["hashes", "serial_number"],
}

PREFERRED = ["MD5", "SHA-1", "SHA-256", "SHA-512"]


def timestamp_as_stix2(value):
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if "." in value else "%Y-%m-%dT%H:%M:%SZ"
    t = datetime.datetime.strptime(value, fmt)
    out = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        out += "." + "{:06d}".format(t.microsecond).rstrip("0")
    return out + "Z"


def sco_id(typ, props):
    contrib = {}
    for name in CONTRIBUTING[typ]:
        if name not in props:
            continue
        value = props[name]
        if name == "hashes":
            chosen = [k for k in PREFERRED if k in value] or list(value)
            if not chosen:
                continue
            value = {chosen[0]: value[chosen[0]]}
        if typ == "network-traffic" and name in ("start", "end"):
            value = timestamp_as_stix2(value)
        contrib[name] = value
    if not contrib:
        return "random"
    canon = json.dumps(contrib, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return typ + "--" + str(uuid.uuid5(NAMESPACE, canon))


CASES = [
    ("the standard's example: a domain name", "domain-name", {"value": "example.com"}),
    ("an IPv4 address", "ipv4-addr", {"value": "198.51.100.3"}),
    ("display_name does not contribute", "email-addr", {"value": "jdoe@example.com", "display_name": "John Doe"}),
    ("a URL", "url", {"value": "https://example.com/research/index.html"}),
    ("MD5 is preferred over SHA-256 even when written later", "file",
     {"hashes": {"SHA-256": "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db", "MD5": "1717b7fff97d37a1e1a0029d83492de1"}}),
    ("a file is identified by its hash and its name", "file",
     {"name": "foo.exe", "hashes": {"SHA-256": "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"}, "size": 25536}),
    ("SHA-1 is preferred over SHA-512", "file",
     {"hashes": {"SHA-512": "a" * 128, "SHA-1": "b" * 40}}),
    ("with no preferred hash the first one written counts", "file",
     {"hashes": {"TLSH": "T1" + "A" * 68, "SSDEEP": "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"}}),
    ("network traffic: ends, ports and protocols", "network-traffic",
     {"src_ref": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "dst_ref": "ipv4-addr--4d22aae0-2bf9-5427-8819-e4f6abf20a53",
      "src_port": 24678, "dst_port": 80, "protocols": ["ipv4", "tcp"], "src_byte_count": 2048}),
    ("network traffic: a start written with milliseconds", "network-traffic",
     {"start": "2024-05-01T10:00:00.000Z", "src_ref": "ipv4-addr--e535b017-cc1c-566b-a3e2-f69f92ed9c4c", "protocols": ["tcp"]}),
    ("network traffic: the same start without them has the same id", "network-traffic",
     {"start": "2024-05-01T10:00:00Z", "src_ref": "ipv4-addr--e535b017-cc1c-566b-a3e2-f69f92ed9c4c", "protocols": ["tcp"]}),
    ("network traffic: an end's fraction counts without its trailing zeros", "network-traffic",
     {"start": "2024-05-01T10:00:00Z", "end": "2024-05-01T10:05:00.120Z",
      "src_ref": "ipv4-addr--e535b017-cc1c-566b-a3e2-f69f92ed9c4c", "protocols": ["tcp"]}),
    ("network traffic: the same end spelled .12Z", "network-traffic",
     {"start": "2024-05-01T10:00:00.0Z", "end": "2024-05-01T10:05:00.12Z",
      "src_ref": "ipv4-addr--e535b017-cc1c-566b-a3e2-f69f92ed9c4c", "protocols": ["tcp"]}),
    ("network traffic: microseconds are kept", "network-traffic",
     {"start": "2024-05-01T10:00:00.000001Z", "dst_port": 443}),
    ("a non-ASCII value is hashed as UTF-8, not escaped", "domain-name", {"value": "bücher.example"}),
    ("quotes, backslashes and newlines are escaped the canonical way", "email-message",
     {"is_multipart": False, "from_ref": "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3",
      "subject": "Re: \"Q3\" \\ plans\nnext", "body": "Grüße"}),
    ("an integer property", "autonomous-system", {"number": 15139, "name": "Slime Industries"}),
    ("a mutex", "mutex", {"name": "__CLEANSWEEP__"}),
    ("user accounts use type, id and login", "user-account",
     {"account_type": "unix", "user_id": "1001", "account_login": "jdoe", "display_name": "John Doe"}),
    ("a registry key", "windows-registry-key", {"key": "hkey_local_machine\\system\\bar\\foo"}),
    ("a certificate's serial number", "x509-certificate", {"serial_number": "36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49:32:0a:b7:06"}),
    ("software", "software", {"name": "Word", "vendor": "Microsoft", "version": "2002", "languages": ["en"]}),
    ("a process has no contributing property, so its id is random", "process", {"pid": 1221}),
    ("a file with neither hashes nor name gets a random id", "file", {"size": 10}),
]

out = [{"why": why, "type": typ, "properties": props, "id": sco_id(typ, props)} for why, typ, props in CASES]
print(json.dumps(out, indent=1, ensure_ascii=False))
