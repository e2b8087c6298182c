package cli

import (
	"context"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/roles"
)

// cmdBench measures what a busy Monday feels, on this profile's own data:
// patient search as a receptionist types it, a physician's calendar day,
// and the envelope crypto every change pays. It only reads: opening a
// chart writes an audit record, so charts are measured by
// `go test -bench OpenChart ./app/chart` instead.
func cmdBench(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	if len(args) > 0 && args[0] == "window" {
		return cmdBenchWindow(ctx, g, args[1:], io) // benchwindow.go
	}
	fs := newFlags("bench")
	rounds := fs.Int("rounds", 200, "measurements per row")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *rounds < 1 || *rounds > 100000 {
		return fmt.Errorf("%w: --rounds is 1 to 100000", ErrUsage)
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()

	var rows []benchRow
	if s.Role().Can(roles.SearchPatients) {
		r, err := benchSearch(ctx, s, *rounds)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	if s.Role().Can(roles.ReadCalendar) {
		r, err := benchCalendar(ctx, s, *rounds)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	seal, open, err := app.MeasureEnvelopes(*rounds)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	rows = append(rows, benchRow{"envelope: seal 1 KiB (encrypt + sign)", seal}, benchRow{"envelope: verify + open 1 KiB", open})

	tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "what\tn\tp50\tp99\tmax\t")
	for _, r := range rows {
		p50, p99, worst := r.stats()
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t\n", r.what, len(r.took), p50.Round(time.Microsecond), p99.Round(time.Microsecond), worst.Round(time.Microsecond))
	}
	return tw.Flush()
}

// benchRow is one measured operation.
type benchRow struct {
	what string
	took []time.Duration
}

func (r benchRow) stats() (p50, p99, worst time.Duration) {
	if len(r.took) == 0 {
		return 0, 0, 0
	}
	t := slices.Clone(r.took)
	slices.Sort(t)
	at := func(q float64) time.Duration { return t[min(len(t)-1, int(q*float64(len(t))))] }
	return at(0.50), at(0.99), t[len(t)-1]
}

// timeIt runs fn n times and records each run.
func timeIt(what string, n int, fn func(i int) error) (benchRow, error) {
	r := benchRow{what: what}
	for i := range n {
		start := time.Now()
		if err := fn(i); err != nil {
			return r, fmt.Errorf("bench: %s: %w", what, err)
		}
		r.took = append(r.took, time.Since(start))
	}
	return r, nil
}

// benchSearch types the way the front desk does: a surname's first
// letters, a birth date, an MRN, each taken from patients of the profile.
func benchSearch(ctx context.Context, s *app.Session, n int) ([]benchRow, error) {
	var sample []app.Patient
	for _, q := range []string{"a", "b", "c", "d", "e", "g", "h", "k", "l", "m", "n", "o", "p", "r", "s", "t", "w"} {
		ps, err := s.SearchPatients(ctx, q, 20)
		if err != nil {
			return nil, fmt.Errorf("bench: search patients: %w", err)
		}
		sample = append(sample, ps...)
	}
	if len(sample) == 0 {
		return nil, nil // no patients to search for
	}
	pick := func(i int) app.Patient { return sample[i%len(sample)] }
	queries := []struct {
		what string
		q    func(app.Patient) string
	}{
		{"search: 3 letters of a surname", func(p app.Patient) string { return prefix(p.Family, 3) }},
		{"search: surname and given name", func(p app.Patient) string { return p.Family + " " + prefix(p.Given, 2) }},
		{"search: birth date", func(p app.Patient) string { return p.Birth }},
		{"search: MRN", func(p app.Patient) string { return p.MRN }},
	}
	var rows []benchRow
	for _, q := range queries {
		r, err := timeIt(q.what, n, func(i int) error {
			_, err := s.SearchPatients(ctx, q.q(pick(i)), 50)
			return err
		})
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// benchCalendar opens each physician's day over the coming weeks.
func benchCalendar(ctx context.Context, s *app.Session, n int) ([]benchRow, error) {
	desk := frontdesk.New(s.Core())
	docs, err := desk.Physicians()
	if err != nil || len(docs) == 0 {
		return nil, err
	}
	today := time.Now()
	r, err := timeIt("calendar: one physician's day", n, func(i int) error {
		_, err := desk.Calendar(ctx, docs[i%len(docs)].Fingerprint, today.AddDate(0, 0, i%28))
		return err
	})
	if err != nil {
		return nil, err
	}
	return []benchRow{r}, nil
}

// prefix is the first n runes of s.
func prefix(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}
