package csvfeed

import (
	"context"
	"time"

	"github.com/ctifeed/ctifeed/access"
)

// Observer watches a [Scheduler]'s generations, for metrics, without this package
// depending on a metrics library. Methods must be safe for concurrent use and must not
// block.
type Observer interface {
	// ObserveGenerate is called after each file generation, failed ones included.
	ObserveGenerate(ctx context.Context, d GenerateData)
}

// GenerateData describes one file generation.
type GenerateData struct {
	Feed     string
	Window   Window
	Duration time.Duration
	// Rows counts the entries written (0 on failure); Truncated as in [File].
	Rows      int
	Truncated bool
	Err       error
}

// generate generates f's file for p over w and tells the observer.
func (s *Scheduler) generate(ctx context.Context, f *Feed, p *access.Principal, w Window) (*File, error) {
	start := time.Now()
	file, err := f.Generate(ctx, s.src, s.vis, p, w)
	if s.obs != nil {
		d := GenerateData{Feed: f.def.ID, Window: w, Duration: time.Since(start), Err: err}
		if file != nil {
			d.Rows, d.Truncated = file.Rows, file.Truncated
		}
		s.obs.ObserveGenerate(ctx, d)
	}
	return file, err
}
