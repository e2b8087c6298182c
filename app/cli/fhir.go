package cli

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/interop"
)

// cmdExportFHIR: medihaven export fhir [--patient MRN] > bundle.json
//
// The bundle goes to standard output, the summary to standard error.
func cmdExportFHIR(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("export fhir")
	mrn := fs.String("patient", "", "the patient's medical record number (default: the whole clinic)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: export fhir takes no arguments; write it to a file with > bundle.json", ErrUsage)
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	id := ""
	if strings.TrimSpace(*mrn) != "" {
		if id, err = patientByMRN(ctx, s, *mrn); err != nil {
			return err
		}
	}
	sum, err := interop.New(s.Core()).ExportFHIR(ctx, io.Stdout, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Stderr, "Exported %d FHIR resources: %s\n", sum.Total, counts(sum.Resources))
	for _, n := range sum.Notes {
		fmt.Fprintln(io.Stderr, n)
	}
	return nil
}

// cmdImportFHIR: medihaven import fhir [--preview] FILE
//
// With --preview it says what the bundle holds for Medihaven (what it would
// keep and leave out) and writes nothing.
func cmdImportFHIR(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("import fhir")
	preview := fs.Bool("preview", false, "say what an import would keep and leave out, and write nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: import fhir needs the bundle's file: medihaven import fhir bundle.json", ErrUsage)
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("cannot open the bundle: %w", err)
	}
	defer f.Close()
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	x := interop.New(s.Core())
	if *preview {
		sum, err := x.PreviewFHIR(ctx, f)
		if err != nil {
			return err
		}
		fmt.Fprintln(io.Stdout, sum.Summary())
		fmt.Fprintf(io.Stdout, "Kept: %s\nNothing was imported (--preview).\n", counts(sum.Resources))
		return nil
	}
	sum, err := x.ImportFHIR(ctx, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "Imported %d FHIR resources: %s\n", sum.Total, counts(sum.Resources))
	for _, n := range sum.Notes {
		fmt.Fprintln(io.Stdout, n)
	}
	return nil
}

// counts lists resource counts by type: "Patient 2, Observation 9".
func counts(m map[string]int) string {
	types := make([]string, 0, len(m))
	for t := range m {
		types = append(types, t)
	}
	sort.Strings(types)
	out := make([]string, 0, len(types))
	for _, t := range types {
		out = append(out, fmt.Sprintf("%s %d", t, m[t]))
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}
