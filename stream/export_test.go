package stream

// NewLeakyShare returns a Share that wrongly lets subscribers of different principals
// share plans: the safety tests must fail with it.
func NewLeakyShare() *Share {
	sh := NewShare(nil)
	sh.leaky = true
	return sh
}
