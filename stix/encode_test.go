package stix

import "testing"

// TestPlainWordAgreesWithTable checks the eight-byte test against the byte table for every
// pair of byte values at several pairs of positions (borrows run from low bytes to high).
func TestPlainWordAgreesWithTable(t *testing.T) {
	w := []byte("abcdefgh")
	for _, pos := range [][2]int{{0, 1}, {3, 4}, {6, 7}, {0, 7}, {7, 0}} {
		for c1 := range 256 {
			for c2 := range 256 {
				copy(w, "abcdefgh")
				w[pos[0]], w[pos[1]] = byte(c1), byte(c2)
				want := plainASCII[c1] && plainASCII[c2]
				if got := plainWord(string(w)); got != want {
					t.Fatalf("plainWord(%q) = %v, want %v", w, got, want)
				}
			}
		}
	}
}
