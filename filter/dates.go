package filter

import (
	"time"
)

// Dates: the values of date keys and the candidates they compare with, as instants.

// instant is a point in time as Unix seconds and nanoseconds. It compares without the
// overflow of UnixNano outside 1678–2262 and without time.Time's location.
type instant struct {
	s int64
	n int32
}

func (a instant) before(b instant) bool { return a.s < b.s || a.s == b.s && a.n < b.n }

func instantOf(t time.Time) instant { return instant{s: t.Unix(), n: int32(t.Nanosecond())} }

func (a instant) time() time.Time { return time.Unix(a.s, int64(a.n)).UTC() }

// dateVal is a compiled date value: an absolute instant or interval, or OpenCTI's relative
// expression now[±N<unit>[/<unit>]], resolved against "now" when a match or a [Bound] needs it.
type dateVal struct {
	relative bool
	// Absolute: [lo, hi], lo == hi for a date-time, the whole day for a date.
	lo, hi instant
	// Relative: now + sign*n units, then rounded to round (0 = no rounding).
	sign  int
	n     int
	unit  byte
	round byte
}

// bounds returns the interval a value stands for at now: a single instant, or for a value
// rounded to a unit (or a bare date) the first and last nanosecond of that unit, as
// Elasticsearch's date math does (gt and lte compare with the end, gte and lt with the start).
func (d *dateVal) bounds(now time.Time) (lo, hi instant) {
	if !d.relative {
		return d.lo, d.hi
	}
	t := now.UTC()
	if d.n != 0 {
		t = addUnit(t, d.sign*d.n, d.unit)
	}
	if d.round == 0 {
		i := instantOf(t)
		return i, i
	}
	start := roundDown(t, d.round)
	end := addUnit(start, 1, d.round).Add(-time.Nanosecond)
	return instantOf(start), instantOf(end)
}

// addUnit adds n units to t; months and years keep the day of the month, clamped to the
// month's last day (Elasticsearch's Java time does so: 31 March - 1M is 28 or 29 February).
func addUnit(t time.Time, n int, unit byte) time.Time {
	switch unit {
	case 'y':
		return addMonths(t, 12*n)
	case 'M':
		return addMonths(t, n)
	case 'w':
		return t.AddDate(0, 0, 7*n)
	case 'd':
		return t.AddDate(0, 0, n)
	case 'h', 'H':
		return t.Add(time.Duration(n) * time.Hour)
	case 'm':
		return t.Add(time.Duration(n) * time.Minute)
	}
	return t.Add(time.Duration(n) * time.Second)
}

func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	total := int(m) - 1 + n
	y += total / 12
	mm := total % 12
	if mm < 0 {
		mm += 12
		y--
	}
	month := time.Month(mm + 1)
	if last := daysIn(y, month); d > last {
		d = last
	}
	hh, mi, ss := t.Clock()
	return time.Date(y, month, d, hh, mi, ss, t.Nanosecond(), time.UTC)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// roundDown returns the start of the unit holding t, in UTC; weeks start on Monday (ISO 8601).
func roundDown(t time.Time, unit byte) time.Time {
	y, m, d := t.Date()
	switch unit {
	case 'y':
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	case 'M':
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	case 'w':
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC)
	case 'd':
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	case 'h', 'H':
		return time.Date(y, m, d, t.Hour(), 0, 0, 0, time.UTC)
	case 'm':
		return time.Date(y, m, d, t.Hour(), t.Minute(), 0, 0, time.UTC)
	}
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

func isDateUnit(c byte) bool {
	switch c {
	case 'y', 'M', 'w', 'd', 'h', 'H', 'm', 's':
		return true
	}
	return false
}

// maxOffset bounds N in now-N<unit>, so that no arithmetic overflows: 100,000 hours is far
// within time.Duration's range, 100,000 years within time.Time's.
const maxOffset = 100000

// parseDateValue reads a date filter value: an RFC 3339 date-time (any offset), a date
// (YYYY-MM-DD, standing for that whole UTC day), or a relative expression that OpenCTI
// accepts: now, now±N<unit>, now±N<unit>/<unit>, unit one of y M w d h H m s.
func parseDateValue(s string) (dateVal, bool) {
	if len(s) >= 3 && s[:3] == "now" {
		return parseRelative(s[3:])
	}
	if len(s) == len("2006-01-02") {
		i, ok := parseInstant(s + "T00:00:00Z")
		if !ok {
			return dateVal{}, false
		}
		end := instant{s: i.s + 86400 - 1, n: 999999999}
		return dateVal{lo: i, hi: end}, true
	}
	i, ok := parseInstant(s)
	if !ok {
		return dateVal{}, false
	}
	return dateVal{lo: i, hi: i}, true
}

// parseRelative reads what follows "now": nothing, or ±N<unit> optionally followed by
// /<unit>. OpenCTI's grammar (its check of within values) has no rounding without an offset.
func parseRelative(s string) (dateVal, bool) {
	d := dateVal{relative: true}
	if s == "" {
		return d, true
	}
	switch s[0] {
	case '-':
		d.sign = -1
	case '+':
		d.sign = 1
	default:
		return dateVal{}, false
	}
	i := 1
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if d.n = d.n*10 + int(s[i]-'0'); d.n > maxOffset {
			return dateVal{}, false
		}
		i++
	}
	if i == 1 || i >= len(s) || !isDateUnit(s[i]) {
		return dateVal{}, false
	}
	d.unit = s[i]
	i++
	if i == len(s) {
		return d, true
	}
	if len(s)-i != 2 || s[i] != '/' || !isDateUnit(s[i+1]) {
		return dateVal{}, false
	}
	d.round = s[i+1]
	return d, true
}

// parseInstant reads an RFC 3339 date-time (T or t, Z or z or ±hh:mm, any fraction) without
// allocating; it is what every date candidate goes through at match time.
func parseInstant(s string) (instant, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' || s[7] != '-' ||
		s[10] != 'T' && s[10] != 't' || s[13] != ':' || s[16] != ':' {
		return instant{}, false
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	h, ok4 := digits(s[11:13])
	mi, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 ||
		d > daysInFast(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return instant{}, false
	}
	i := 19
	var nsec int32
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		scale := int32(100000000)
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			nsec += int32(s[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return instant{}, false
		}
	}
	if i >= len(s) {
		return instant{}, false
	}
	var off int64
	switch s[i] {
	case 'Z', 'z':
		if i+1 != len(s) {
			return instant{}, false
		}
	case '+', '-':
		if len(s)-i != 6 || s[i+3] != ':' {
			return instant{}, false
		}
		oh, okh := digits(s[i+1 : i+3])
		om, okm := digits(s[i+4 : i+6])
		if !okh || !okm || oh > 23 || om > 59 {
			return instant{}, false
		}
		off = int64(oh*3600 + om*60)
		if s[i] == '-' {
			off = -off
		}
	default:
		return instant{}, false
	}
	days := daysFromCivil(int64(y), int64(mo), int64(d))
	return instant{s: days*86400 + int64(h*3600+mi*60+sec) - off, n: nsec}, true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysInFast(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date (Howard
// Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// span is the interval a date value stands for at one moment.
type span struct{ lo, hi instant }

// span resolves a date value (or a within pair) at now.
func (d *dateRange) span(now time.Time) span {
	lo, hi := d.a.bounds(now)
	if d.within {
		_, hi = d.b.bounds(now)
	}
	return span{lo, hi}
}

// dateRange is one compiled value of a date filter; within's two values make one.
type dateRange struct {
	a, b   dateVal
	within bool
}

func (d *dateRange) relative() bool { return d.a.relative || d.within && d.b.relative }
