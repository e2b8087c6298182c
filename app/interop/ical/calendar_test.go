package ical

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"

	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/frontdesk"
)

// writeICS serialises a calendar built from c.
func writeICS(t *testing.T, c Calendar) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Write(&b); err != nil {
		t.Fatal(err)
	}
	CheckFolding(t, b.String())
	return b.String()
}

// The checks from CheckFolding on are exported for export_test.go
// (package ical_test, which exports through interop.Service).

// CheckFolding: CRLF line ends, no line longer than 75 octets (RFC 5545
// 3.1), and continuation lines start with one space.
func CheckFolding(t *testing.T, s string) {
	t.Helper()
	if !strings.HasSuffix(s, "\r\n") || strings.Contains(strings.ReplaceAll(s, "\r\n", ""), "\n") {
		t.Fatal("lines must end with CRLF, and only there")
	}
	for i, line := range strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d has %d octets: %q", i+1, len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a UTF-8 character: %q", i+1, line)
		}
	}
}

// unfold joins folded lines (RFC 5545 3.1).
func unfold(s string) []string {
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(s, "\r\n ", ""), "\r\n"), "\r\n")
}

// icsEvent is one occurrence as a calendar program shows it.
type icsEvent struct {
	Start, End time.Time
	Summary    string
	Status     string
}

func (e icsEvent) String() string {
	return fmt.Sprintf("%s–%s %s %s", e.Start.Format("Mon 2006-01-02 15:04 MST"), e.End.Format("15:04"), e.Status, e.Summary)
}

// ExpandICS parses text with the library and expands every event as a
// calendar program would: weekly rules with INTERVAL and COUNT, EXDATEs
// removed, RECURRENCE-ID overrides put in place.
func ExpandICS(t *testing.T, text string) []icsEvent {
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(text))
	if err != nil {
		t.Fatalf("the library does not parse the export: %v", err)
	}
	propTime := func(p *ics.IANAProperty) time.Time {
		t.Helper()
		loc := time.UTC
		if tz := p.ICalParameters["TZID"]; len(tz) == 1 {
			if loc, err = time.LoadLocation(tz[0]); err != nil {
				t.Fatal(err)
			}
		}
		v, err := time.ParseInLocation("20060102T150405", strings.TrimSuffix(p.Value, "Z"), loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	type group struct {
		master    *ics.VEvent
		overrides map[int64]*ics.VEvent
	}
	groups := map[string]*group{}
	var order []string
	for _, e := range cal.Events() {
		uid := e.Id()
		g := groups[uid]
		if g == nil {
			g = &group{overrides: map[int64]*ics.VEvent{}}
			groups[uid] = g
			order = append(order, uid)
		}
		if rid := e.GetProperty(ics.ComponentPropertyRecurrenceId); rid != nil {
			g.overrides[propTime(rid).Unix()] = e
			continue
		}
		if g.master != nil {
			t.Fatalf("two masters for %s", uid)
		}
		g.master = e
	}
	one := func(e *ics.VEvent) icsEvent {
		t.Helper()
		s, err := e.GetStartAt()
		if err != nil {
			t.Fatal(err)
		}
		end, err := e.GetEndAt()
		if err != nil {
			t.Fatal(err)
		}
		if e.GetProperty(ics.ComponentPropertyDtstamp) == nil {
			t.Errorf("%s has no DTSTAMP", e.Id())
		}
		return icsEvent{Start: s, End: end, Summary: e.GetProperty(ics.ComponentPropertySummary).Value,
			Status: e.GetProperty(ics.ComponentPropertyStatus).Value}
	}
	var out []icsEvent
	for _, uid := range order {
		g := groups[uid]
		m := g.master
		rule := m.GetProperty(ics.ComponentPropertyRrule)
		if rule == nil {
			out = append(out, one(m))
			continue
		}
		parts := map[string]string{}
		for _, kv := range strings.Split(rule.Value, ";") {
			k, v, _ := strings.Cut(kv, "=")
			parts[k] = v
		}
		interval, _ := strconv.Atoi(parts["INTERVAL"])
		count, _ := strconv.Atoi(parts["COUNT"])
		if parts["FREQ"] != "WEEKLY" || interval < 1 || count < 1 {
			t.Fatalf("rule %q", rule.Value)
		}
		base := one(m)
		length := base.End.Sub(base.Start)
		ex := map[int64]bool{}
		for _, p := range m.GetProperties(ics.ComponentPropertyExdate) {
			ex[propTime(p).Unix()] = true
		}
		for i := 0; i < count; i++ {
			at := base.Start.AddDate(0, 0, 7*interval*i) // wall clock in the TZID zone
			if ov, ok := g.overrides[at.Unix()]; ok {
				out = append(out, one(ov))
				delete(g.overrides, at.Unix())
				continue
			}
			if ex[at.Unix()] {
				continue
			}
			out = append(out, icsEvent{Start: at, End: at.Add(length), Summary: base.Summary, Status: base.Status})
		}
		if len(g.overrides) > 0 {
			t.Errorf("%s: %d overrides name no instance of the rule", uid, len(g.overrides))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// WantEvents is what the appointments should show as: the cancelled ones
// of a series are gone, a cancelled single stays, marked CANCELLED.
func WantEvents(singles []frontdesk.Appointment, series [][]frontdesk.Appointment, summary func(frontdesk.Appointment) string) []icsEvent {
	var out []icsEvent
	add := func(a frontdesk.Appointment) {
		st := "CONFIRMED"
		if a.Status == frontdesk.StatusCancelled {
			st = "CANCELLED"
		}
		out = append(out, icsEvent{Start: a.Start, End: a.End(), Summary: summary(a), Status: st})
	}
	for _, a := range singles {
		add(a)
	}
	for _, ss := range series {
		allCancelled := true
		for _, a := range ss {
			allCancelled = allCancelled && a.Status == frontdesk.StatusCancelled
		}
		for _, a := range ss {
			if a.Status != frontdesk.StatusCancelled || allCancelled {
				add(a)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

func SameEvents(t *testing.T, got, want []icsEvent) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].Start.Equal(want[i].Start) && got[i].End.Equal(want[i].End) && got[i].Summary == want[i].Summary && got[i].Status == want[i].Status
	}
	if !ok {
		t.Errorf("expanded calendar:\n got %v\nwant %v", got, want)
	}
}

func TestICSSeriesRules(t *testing.T) {
	loc := apptest.Zone(t, "Europe/Berlin")
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, loc) }
	appt := func(id string, start time.Time, minutes int, status string) frontdesk.Appointment {
		return frontdesk.Appointment{ID: id, Series: "S1", Patient: "p1", Physician: "f", Start: start, Minutes: minutes, Status: status,
			PatientName: "Booker, Bea", PatientMRN: "MH0000001", Reason: "Physiotherapy"}
	}
	weekly := func(n, weeks int, from time.Time) []frontdesk.Appointment {
		var out []frontdesk.Appointment
		for i := 0; i < n; i++ {
			out = append(out, appt(fmt.Sprint("a", i), from.AddDate(0, 0, 7*weeks*i), 15, frontdesk.StatusBooked))
		}
		return out
	}
	tests := []struct {
		name   string
		weeks  int
		as     func() []frontdesk.Appointment
		want   []string // lines of the export (unfolded) that must be there
		reject []string // and must not
	}{
		{"weekly across the end of summer time", 1, func() []frontdesk.Appointment { return weekly(4, 1, at(10, 13, 9, 0)) },
			[]string{"RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=4", "DTSTART;TZID=Europe/Berlin:20261013T090000",
				"DTEND;TZID=Europe/Berlin:20261013T091500", "STATUS:CONFIRMED"},
			[]string{"EXDATE", "RECURRENCE-ID"}},
		{"every two weeks, one cancelled", 2, func() []frontdesk.Appointment {
			as := weekly(5, 2, at(3, 2, 14, 30))
			as[2].Status = frontdesk.StatusCancelled
			return as
		}, []string{"RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=5", "EXDATE;TZID=Europe/Berlin:20260330T143000"},
			[]string{"RECURRENCE-ID"}},
		{"one moved, one longer", 1, func() []frontdesk.Appointment {
			as := weekly(4, 1, at(11, 3, 9, 0))
			as[1].Start = at(11, 11, 16, 0)
			as[3].Minutes = 30
			return as
		}, []string{"RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=4", "RECURRENCE-ID;TZID=Europe/Berlin:20261110T090000",
			"DTSTART;TZID=Europe/Berlin:20261111T160000", "RECURRENCE-ID;TZID=Europe/Berlin:20261124T090000",
			"DTEND;TZID=Europe/Berlin:20261124T093000"},
			[]string{"EXDATE"}},
		{"the first cancelled", 1, func() []frontdesk.Appointment {
			as := weekly(3, 1, at(11, 3, 9, 0))
			as[0].Status = frontdesk.StatusCancelled
			return as
		}, []string{"DTSTART;TZID=Europe/Berlin:20261103T090000", "EXDATE;TZID=Europe/Berlin:20261103T090000"}, nil},
		{"the rest moved to Thursdays and then cancelled", 1, func() []frontdesk.Appointment {
			// TestRecurringSeries' story: the second moved by two hours,
			// the fourth to the sixth to Thursdays 10:00, the last two cancelled.
			as := weekly(6, 1, at(10, 13, 9, 0))
			as[1].Start = at(10, 20, 11, 0)
			for i, d := range []int{5, 12, 19} {
				as[3+i].Start, as[3+i].Minutes = at(11, d, 10, 0), 30
			}
			as[4].Status, as[5].Status = frontdesk.StatusCancelled, frontdesk.StatusCancelled
			return as
		}, []string{"DTSTART;TZID=Europe/Berlin:20261013T090000", "RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=6",
			"RECURRENCE-ID;TZID=Europe/Berlin:20261020T090000", "RECURRENCE-ID;TZID=Europe/Berlin:20261103T090000",
			"EXDATE;TZID=Europe/Berlin:20261110T090000", "EXDATE;TZID=Europe/Berlin:20261117T090000"}, nil},
		{"all cancelled", 1, func() []frontdesk.Appointment {
			as := weekly(3, 1, at(11, 3, 9, 0))
			for i := range as {
				as[i].Status = frontdesk.StatusCancelled
			}
			return as
		}, []string{"RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=3", "STATUS:CANCELLED"}, []string{"EXDATE", "RECURRENCE-ID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := tt.as()
			c := Calendar{Clinic: "Test Clinic", ClinicID: "c0ffee", Physician: "Dr P", Zone: loc, Now: at(1, 1, 0, 0),
				Detail: Busy, Series: [][]frontdesk.Appointment{as}, Weeks: map[string]int{"S1": tt.weeks}}
			out := writeICS(t, c)
			lines := strings.Join(unfold(out), "\n")
			for _, w := range tt.want {
				if !strings.Contains(lines, w+"\n") {
					t.Errorf("missing %q in\n%s", w, lines)
				}
			}
			for _, r := range tt.reject {
				if strings.Contains(lines, r) {
					t.Errorf("unexpected %q in\n%s", r, lines)
				}
			}
			if n := strings.Count(lines, "UID:S1@c0ffee.medihaven\n"); n != 1+strings.Count(lines, "RECURRENCE-ID") {
				t.Errorf("%d events carry the series' UID", n)
			}
			SameEvents(t, ExpandICS(t, out), WantEvents(nil, [][]frontdesk.Appointment{as}, func(frontdesk.Appointment) string { return "Appointment" }))
		})
	}
}

func TestICSTextDetailEscapingAndFolding(t *testing.T) {
	loc := apptest.Zone(t, "Europe/Berlin")
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, loc)
	reason := "Cough, fever; since Monday\nback pain \\ stiffness — übel " + strings.Repeat("é", 60)
	a := frontdesk.Appointment{ID: "A1", Patient: "p", Physician: "f", Start: start, Minutes: 20, Status: frontdesk.StatusBooked, Reason: reason,
		PatientName: "O'Brien-Núñez, Mary Jane", PatientMRN: "MH0012345"}
	cancelled := a
	cancelled.ID, cancelled.Start, cancelled.Status = "A2", start.Add(time.Hour), frontdesk.StatusCancelled
	tests := []struct {
		detail   Detail
		summary  string
		desc     string // escaped, unfolded; "" for none
		notThere []string
	}{
		{Busy, "Appointment", "", []string{"Mary", "MH0012345", "Cough", "CLASS"}},
		{Initials, "Appointment: M.J.O. (MH0012345)", "", []string{"Mary", "Cough"}},
		{Full, "Appointment: Mary Jane O'Brien-Núñez",
			`Reason for the visit: Cough\, fever\; since Monday\nback pain \\ stiffness — übel ` + strings.Repeat("é", 60), []string{"MH0012345"}},
	}
	for _, tt := range tests {
		t.Run(tt.detail.String(), func(t *testing.T) {
			c := Calendar{Clinic: "Riverside, Family; Practice", ClinicID: "c0ffee", Physician: "Dr Amara Okafor", Zone: loc,
				Now: start, Detail: tt.detail, Singles: []frontdesk.Appointment{a, cancelled}}
			out := writeICS(t, c)
			lines := unfold(out)
			text := strings.Join(lines, "\n") + "\n"
			if !strings.Contains(text, "SUMMARY:"+ics.ToText(tt.summary)+"\n") {
				t.Errorf("no SUMMARY %q in\n%s", tt.summary, text)
			}
			if tt.desc != "" && !strings.Contains(text, "DESCRIPTION:"+tt.desc+"\n") {
				t.Errorf("no DESCRIPTION %q in\n%s", tt.desc, text)
			}
			if tt.desc == "" && strings.Contains(text, "DESCRIPTION") {
				t.Error("a description at busy/initials detail")
			}
			for _, s := range tt.notThere {
				if strings.Contains(text, s) {
					t.Errorf("%q leaked at detail %s", s, tt.detail)
				}
			}
			if !strings.Contains(text, "X-WR-CALNAME:Appointments of Dr Amara Okafor\\, Riverside\\, Family\\; Practice\n") {
				t.Errorf("calendar name not escaped:\n%s", text)
			}
			for _, w := range []string{"UID:A1@c0ffee.medihaven", "UID:A2@c0ffee.medihaven", "STATUS:CANCELLED",
				"DTSTAMP:20261102T090000Z", "BEGIN:VTIMEZONE", "TZID:Europe/Berlin"} {
				if !strings.Contains(text, w+"\n") {
					t.Errorf("missing %q", w)
				}
			}
			want := WantEvents([]frontdesk.Appointment{a, cancelled}, nil, func(frontdesk.Appointment) string { return tt.summary })
			SameEvents(t, ExpandICS(t, out), want)
			// The description survives folding and escaping whole.
			if tt.detail == Full {
				cal, err := ics.ParseCalendar(strings.NewReader(out))
				if err != nil {
					t.Fatal(err)
				}
				got := cal.Events()[0].GetProperty(ics.ComponentPropertyDescription).Value
				if got != "Reason for the visit: "+reason {
					t.Errorf("description read back as %q", got)
				}
			}
		})
	}
}

func TestICSTimeZone(t *testing.T) {
	loc := apptest.Zone(t, "Europe/Berlin")
	start := time.Date(2026, 3, 23, 9, 0, 0, 0, loc)
	a := frontdesk.Appointment{ID: "A", Start: start, Minutes: 15, Status: frontdesk.StatusBooked}
	b := a
	b.ID, b.Start = "B", start.AddDate(0, 7, 0) // 23 October: summer time ends on the 25th
	out := writeICS(t, Calendar{Zone: loc, Now: start, Singles: []frontdesk.Appointment{a, b}})
	text := strings.Join(unfold(out), "\n")
	// In effect on 23 March: standard time since October 2025; then summer
	// time from 29 March 02:00, standard again from 25 October 03:00.
	want := "BEGIN:VTIMEZONE\nTZID:Europe/Berlin\n" +
		"BEGIN:STANDARD\nDTSTART:20251026T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nTZNAME:CET\nEND:STANDARD\n" +
		"BEGIN:DAYLIGHT\nDTSTART:20260329T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nTZNAME:CEST\nEND:DAYLIGHT\n" +
		"END:VTIMEZONE"
	if !strings.Contains(text, want) {
		t.Errorf("VTIMEZONE:\n%s\nwant\n%s", text, want)
	}
	if strings.Contains(text, "20261025T") {
		t.Error("a change after the last event is described")
	}
	// A clinic in UTC writes UTC times and no VTIMEZONE.
	a.Start = time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)
	out = writeICS(t, Calendar{Zone: time.UTC, Now: start, Singles: []frontdesk.Appointment{a}})
	if strings.Contains(out, "VTIMEZONE") || !strings.Contains(out, "DTSTART:20260323T090000Z\r\n") {
		t.Errorf("UTC clinic:\n%s", out)
	}
	// A zone without daylight saving has one observance.
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	a.Start = time.Date(2026, 3, 23, 9, 0, 0, 0, tokyo)
	out = strings.Join(unfold(writeICS(t, Calendar{Zone: tokyo, Now: start, Singles: []frontdesk.Appointment{a}})), "\n")
	if !strings.Contains(out, "BEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:+0900\nTZOFFSETTO:+0900\nTZNAME:JST\nEND:STANDARD") {
		t.Errorf("Tokyo:\n%s", out)
	}
	for _, tt := range []struct {
		sec  int
		want string
	}{{3600, "+0100"}, {-12600, "-0330"}, {0, "+0000"}, {3600 + 45*60 + 30, "+014530"}} {
		if got := utcOffset(tt.sec); got != tt.want {
			t.Errorf("utcOffset(%d) = %q, want %q", tt.sec, got, tt.want)
		}
	}
}

// FuzzICSText: whatever a patient's name or a visit's reason holds, the
// export folds to 75 octets, stays valid UTF-8, parses back with the
// library and gives the same text back.
func FuzzICSText(f *testing.F) {
	for _, s := range [][2]string{{"Booker, Bea", "Back pain"}, {"O'Brien, Mary Jane", "a,b;c\\d\ne"}, {"Ünal, Çağrı", strings.Repeat("é", 80)},
		{"", ""}, {"X", strings.Repeat("ab ", 60)}} {
		f.Add(s[0], s[1])
	}
	loc := time.UTC
	f.Fuzz(func(t *testing.T, name, reason string) {
		if !utf8.ValidString(name) || !utf8.ValidString(reason) || strings.ContainsAny(name+reason, "\x00") {
			t.Skip() // a record's values come out of JSON: valid UTF-8; control characters are the export's to clear
		}
		a := frontdesk.Appointment{ID: "A", Start: time.Date(2026, 11, 2, 10, 0, 0, 0, loc), Minutes: 15, Status: frontdesk.StatusBooked, PatientName: name, Reason: reason}
		c := Calendar{Zone: loc, Now: a.Start, Detail: Full, Singles: []frontdesk.Appointment{a}}
		var b bytes.Buffer
		if err := c.Write(&b); err != nil {
			t.Fatal(err)
		}
		CheckFolding(t, b.String())
		cal, err := ics.ParseCalendar(strings.NewReader(b.String()))
		if err != nil || len(cal.Events()) != 1 {
			t.Fatalf("parse back: %v", err)
		}
		want := c.text(a)
		e := cal.Events()[0]
		if got := e.GetProperty(ics.ComponentPropertySummary).Value; got != want.Summary {
			t.Errorf("summary %q, want %q", got, want.Summary)
		}
		if d := e.GetProperty(ics.ComponentPropertyDescription); want.Description != "" && (d == nil || d.Value != want.Description) {
			t.Errorf("description %v, want %q", d, want.Description)
		}
	})
}
