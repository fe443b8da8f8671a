// Package demodata makes the self-contained demo intelligence the examples serve: a
// deterministic, realistic-looking set of STIX 2.1 objects (authors, TLP markings, malware
// families, intrusion sets, indicators with file-hash, domain, IP and URL patterns, the
// observables they detect, `indicates`/`uses`/`based-on` relationships, sightings and
// reports), enough of them to page through, with nothing fetched from anywhere.
//
// The same Options always give byte-identical objects, so examples and their tests can
// rely on ids and counts.
package demodata
