package stix

import (
	"net/netip"
	"strings"

	"github.com/tidwall/gjson"
)

// observable applies the rules of the STIX 2.1 cyber-observable types.
func (v *validator) observable(r getter) {
	for _, h := range [...]string{"hashes"} {
		if val := r.Get(h); val.Exists() {
			v.hashes(h, val)
		}
	}
	switch v.o.typ {
	case "artifact":
		bin, url := r.Get("payload_bin").Exists(), r.Get("url").Exists()
		switch {
		case bin && url:
			v.add("", "payload_bin and url exclude each other")
		case !bin && !url:
			v.add("", "needs payload_bin, or url with hashes")
		case url && !r.Get("hashes").Exists():
			v.add("hashes", "required with url")
		}
		if r.Get("decryption_key").Exists() && !r.Get("encryption_algorithm").Exists() {
			v.add("decryption_key", "needs encryption_algorithm")
		}
		if m := r.Get("mime_type"); m.Exists() && !isArtifactMIME(m.Str) {
			v.add("mime_type", "must be an IANA media type such as application/zip")
		}
	case "autonomous-system":
		v.required(r, "number")
		v.kind(r, "number", kInt)
	case "directory":
		v.required(r, "path")
		v.kind(r, "path", kString)
	case "domain-name", "email-addr", "url":
		v.required(r, "value")
		v.kind(r, "value", kString)
	case "ipv4-addr":
		v.required(r, "value")
		if val := r.Get("value"); val.Exists() && (val.Type != gjson.String || !isIPv4CIDR(val.Str)) {
			v.add("value", "must be an IPv4 address or CIDR block")
		}
	case "ipv6-addr":
		v.required(r, "value")
		if val := r.Get("value"); val.Exists() && (val.Type != gjson.String || !isIPv6CIDR(val.Str)) {
			v.add("value", "must be an IPv6 address or CIDR block")
		}
	case "mac-addr":
		v.required(r, "value")
		if val := r.Get("value"); val.Exists() && (val.Type != gjson.String || !isMAC(val.Str)) {
			v.add("value", "must be a MAC address of lower-case hex pairs separated by colons")
		}
	case "email-message":
		v.emailMessage(r)
	case "file":
		v.anyOf(r, "hashes", "name")
		v.intRange(r, "size", 0, 1<<63-1)
	case "mutex":
		v.required(r, "name")
		v.kind(r, "name", kString)
	case "network-traffic":
		v.required(r, "protocols")
		v.anyOf(r, "src_ref", "dst_ref")
		v.intRange(r, "src_port", 0, 65535)
		v.intRange(r, "dst_port", 0, 65535)
		if r.Get("is_active").Type == gjson.True && r.Get("end").Exists() {
			v.add("end", "an active flow has no end")
		}
		v.dictionary(r, "ipfix")
	case "process":
		v.anyOf(r, "extensions", "is_hidden", "pid", "name", "created", "cwd", "arguments",
			"command_line", "environment_variables", "opened_connection_refs",
			"creator_user_ref", "image_ref", "parent_ref", "child_refs")
		v.kind(r, "pid", kInt)
		v.dictionary(r, "environment_variables")
	case "software":
		v.required(r, "name")
		v.kind(r, "name", kString)
	case "user-account":
		v.anyOf(r, "extensions", "user_id", "credential", "account_login", "account_type",
			"display_name", "is_service_account", "is_privileged", "can_escalate_privs",
			"is_disabled", "account_created", "account_expires", "credential_last_changed",
			"account_first_login", "account_last_login")
	case "windows-registry-key":
		v.anyOf(r, "key", "values", "modified", "creator_user_ref", "number_of_subkeys")
	case "x509-certificate":
		v.anyOf(r, "is_self_signed", "hashes", "version", "serial_number", "signature_algorithm",
			"issuer", "validity_not_before", "validity_not_after", "subject",
			"subject_public_key_algorithm", "subject_public_key_modulus",
			"subject_public_key_exponent", "x509_v3_extensions")
	}
}

func (v *validator) emailMessage(r getter) {
	mp := r.Get("is_multipart")
	switch {
	case !mp.Exists():
		v.add("is_multipart", "required")
	case mp.Type == gjson.True:
		if r.Get("body").Exists() {
			v.add("body", "a multipart message has body_multipart, not body")
		}
	case mp.Type == gjson.False:
		if r.Get("body_multipart").Exists() {
			v.add("body_multipart", "only a multipart message has body_multipart")
		}
	default:
		v.add("is_multipart", "must be true or false")
	}
}

func isArtifactMIME(s string) bool {
	top, sub, ok := strings.Cut(s, "/")
	if !ok || sub == "" || !isMIMEChar(sub[0]) {
		return false
	}
	switch top {
	case "application", "audio", "font", "image", "message", "model", "multipart", "text", "video":
		return true
	}
	return false
}

func isMIMEChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".+_-", c) >= 0
}

// isIPv4CIDR matches a dotted-quad address without leading zeros, optionally /0 to /32.
func isIPv4CIDR(s string) bool {
	addr, prefix, hasPrefix := strings.Cut(s, "/")
	if hasPrefix && !isDecimal(prefix, 32) {
		return false
	}
	parts := strings.Split(addr, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if !isDecimal(p, 255) {
			return false
		}
	}
	return true
}

// isDecimal reports whether s is a decimal number without leading zeros, at most max.
func isDecimal(s string, max int) bool {
	if s == "" || len(s) > 3 || !allDigits(s) || len(s) > 1 && s[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n <= max
}

func isMAC(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i%3 == 2 {
			if c != ':' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// isIPv6CIDR accepts an IPv6 address (with an optional zone) or CIDR block.
func isIPv6CIDR(s string) bool {
	addr, prefix, hasPrefix := strings.Cut(s, "/")
	if hasPrefix && !isDecimal(prefix, 128) {
		return false
	}
	a, err := netip.ParseAddr(addr)
	return err == nil && a.Is6()
}
