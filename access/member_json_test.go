package access

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMemberJSONRoundTrip(t *testing.T) {
	in := []Member{{MemberUser, "alice"}, {MemberGroup, "analysts"}, {MemberOrganization, "acme"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `[{"kind":"user","id":"alice"},{"kind":"group","id":"analysts"},{"kind":"organization","id":"acme"}]`
	if string(b) != want {
		t.Fatalf("Marshal = %s, want %s", b, want)
	}
	var out []Member
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if out[i] != in[i] {
			t.Errorf("member %d: got %+v, want %+v", i, out[i], in[i])
		}
	}
}

func TestMemberJSONRejects(t *testing.T) {
	for _, tc := range []struct{ in, wantErr string }{
		{`{"kind":"team","id":"x"}`, `"team" is not one of`}, // unknown kind named
		{`{"id":"x"}`, "missing kind"},                       // kind required
		{`{"kind":"user","id":""}`, "missing id"},            // empty id would match nobody
		{`{"kind":"user"}`, "missing id"},                    // absent id likewise
		{`["user","x"]`, "authorized member"},                // wrong shape
	} {
		var m Member
		err := json.Unmarshal([]byte(tc.in), &m)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Unmarshal(%s) error = %v, want it to contain %q", tc.in, err, tc.wantErr)
		}
	}
	if _, err := json.Marshal(Member{Kind: 9, ID: "x"}); err == nil {
		t.Error("Marshal of an invalid kind succeeded")
	}
}
