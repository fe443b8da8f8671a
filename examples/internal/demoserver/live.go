package demoserver

import (
	"time"

	"github.com/ctifeed/ctifeed/stream"
)

// The demo live streams' ids.
const (
	StreamDetection = "detection-indicators"
	StreamPublic    = "public"
)

func (p *platform) mountStream(heartbeat time.Duration) error {
	reg, err := stream.NewRegistry(&stream.RegistryOptions{Definitions: []stream.Definition{
		{ID: StreamDetection, Name: "Detection indicators",
			Description: "Indicators labelled detection, with their dependencies (the seed's stream)",
			Filters:     mustFilter(filterDetection), Live: true},
		{ID: StreamPublic, Name: "Public knowledge",
			Description: "Everything anonymous callers may see (TLP:CLEAR)", Live: true, Public: true},
	}})
	if err != nil {
		return err
	}
	h, err := stream.NewHandler(&stream.HandlerOptions{Store: p.store, Streams: reg, Authenticator: p.auth,
		Visibility: p.vis, PublicPrincipal: publicPrincipal(), Heartbeat: heartbeat})
	if err != nil {
		return err
	}
	p.mux.Handle("/stream", h)
	p.mux.Handle("/stream/", h)
	p.closers = append(p.closers, h.Close) // ends open streams at shutdown
	p.feeds = append(p.feeds, feedInfo{Name: "Live stream (OpenCTI Server-Sent Events)", Path: "/stream/" + StreamDetection,
		Curl: "curl -sN -u " + AnalystUser + ":" + AnalystPassword + " '{base}/stream/" + StreamDetection + "?from=0'   # all streams: curl -s -u " + AnalystUser + ":" + AnalystPassword + " '{base}/stream'"})
	return nil
}
