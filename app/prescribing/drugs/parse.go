package drugs

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"sort"
	"strings"
)

// ErrMalformed is matched (errors.Is) by every error of Parse: the tables
// are not what SOURCE.md describes.
var ErrMalformed = errors.New("drugs: the formulary is malformed")

// ParseError says which table and line of the formulary is wrong.
type ParseError struct {
	File string // "drugs.tsv"
	Line int    // 1-based; 0 when the whole file is at fault
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("formulary %s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("formulary %s line %d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Is makes every ParseError match ErrMalformed.
func (e *ParseError) Is(target error) bool { return target == ErrMalformed }

// Tables are the raw bytes of the five formulary files.
type Tables struct {
	Classes, Drugs, Interactions, CrossReactivity, Sources []byte
}

// The files of a Tables under the formulary folder, and the columns each
// must name in its header row.
var tableFiles = []struct {
	name string
	cols []string
	get  func(*Tables) *[]byte
}{
	{"classes.tsv", []string{"class", "kind", "parents", "synonyms"}, func(t *Tables) *[]byte { return &t.Classes }},
	{"drugs.tsv", []string{"name", "atc", "class", "also", "eml", "salts", "synonyms", "components", "forms"}, func(t *Tables) *[]byte { return &t.Drugs }},
	{"interactions.tsv", []string{"id", "first", "second", "severity", "effect", "message", "sources"}, func(t *Tables) *[]byte { return &t.Interactions }},
	{"cross_reactivity.tsv", []string{"id", "allergy", "drugs", "severity", "message", "sources"}, func(t *Tables) *[]byte { return &t.CrossReactivity }},
	{"sources.tsv", []string{"key", "citation"}, func(t *Tables) *[]byte { return &t.Sources }},
}

// ReadTables reads the five files from the folder "formulary" of fsys
// (assets.FormularyFS, or a test's fstest.MapFS).
func ReadTables(fsys fs.FS) (Tables, error) {
	var t Tables
	for _, f := range tableFiles {
		b, err := fs.ReadFile(fsys, "formulary/"+f.name)
		if err != nil {
			return Tables{}, fmt.Errorf("drugs: reading the formulary: %w", err)
		}
		*f.get(&t) = b
	}
	return t, nil
}

// row is one data line of a table, its fields in header order.
type row struct {
	line   int
	fields []string
}

// readTSV returns the data rows of a table: blank lines and lines starting
// with # are skipped, the first other line must be the header naming cols.
func readTSV(file string, b []byte, cols []string) ([]row, error) {
	var rows []row
	header := false
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		for j := range fields {
			fields[j] = strings.TrimSpace(fields[j])
		}
		if !header {
			if strings.Join(fields, "\t") != strings.Join(cols, "\t") {
				return nil, &ParseError{file, i + 1, fmt.Errorf("the header must be the tab-separated columns %s", strings.Join(cols, ", "))}
			}
			header = true
			continue
		}
		if len(fields) != len(cols) {
			return nil, &ParseError{file, i + 1, fmt.Errorf("%d fields, want %d (tab-separated)", len(fields), len(cols))}
		}
		rows = append(rows, row{i + 1, fields})
	}
	if !header {
		return nil, &ParseError{file, 0, errors.New("no header row")}
	}
	return rows, nil
}

// list splits a |-separated field; "-" is the empty list.
func list(s string) []string {
	if s == "-" || s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// single returns a field's value, "" for "-".
func single(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// atcPattern accepts an ATC code of level 4 (A01AB) or 5 (A01AB01).
var atcPattern = regexp.MustCompile(`^[A-Z][0-9]{2}[A-Z]{2}([0-9]{2})?$`)

// parseForms reads "tablet 500 mg (oral); oral suspension 250 mg/5 mL (oral)".
func parseForms(s string) ([]Form, error) {
	if s == "-" || s == "" {
		return nil, nil
	}
	var out []Form
	for _, p := range strings.Split(s, ";") {
		p = strings.TrimSpace(p)
		open := strings.LastIndex(p, "(")
		if open < 0 || !strings.HasSuffix(p, ")") {
			return nil, fmt.Errorf("dose form %q must end with its route in brackets, e.g. \"tablet 500 mg (oral)\"", p)
		}
		route := strings.TrimSpace(p[open+1 : len(p)-1])
		words := strings.Fields(p[:open])
		at := -1
		for i, w := range words {
			if w[0] >= '0' && w[0] <= '9' {
				at = i
				break
			}
		}
		if at <= 0 || route == "" {
			return nil, fmt.Errorf("dose form %q needs a form, a strength starting with a number and a route", p)
		}
		out = append(out, Form{Form: strings.Join(words[:at], " "), Strength: strings.Join(words[at:], " "), Route: route})
	}
	return out, nil
}

// Parse reads and checks the formulary tables: every class, drug, rule
// side and source a row names must exist, names and synonyms must not
// collide, and class parents and combination components must not loop.
func Parse(t Tables) (*Formulary, error) {
	f := &Formulary{
		classes:  map[string]*Class{},
		classKey: map[string]string{},
		drugKey:  map[string]int{},
		byATC:    map[string][]int{},
		products: map[string][2]int{},
		sources:  map[string]string{},
	}
	steps := []func(Tables) error{f.parseSources, f.parseClasses, f.parseDrugs, f.parseInteractions, f.parseCross}
	for _, step := range steps {
		if err := step(t); err != nil {
			return nil, err
		}
	}
	for k := range f.drugKey {
		f.keyWords = max(f.keyWords, len(strings.Fields(k)))
	}
	for k := range f.classKey {
		f.keyWords = max(f.keyWords, len(strings.Fields(k)))
	}
	f.drugSides = map[string][2][]uint64{}
	for _, d := range f.drugs {
		f.drugSides[d.Name] = f.ruleSides(member{d.Name, d.in, d.parts})
	}
	f.buildSearch()
	return f, nil
}

func (f *Formulary) parseSources(t Tables) error {
	rows, err := readTSV("sources.tsv", t.Sources, tableFiles[4].cols)
	if err != nil {
		return err
	}
	for _, r := range rows {
		key, cite := r.fields[0], r.fields[1]
		if key == "" || cite == "" || cite == "-" {
			return &ParseError{"sources.tsv", r.line, errors.New("a source needs a key and a citation")}
		}
		if _, dup := f.sources[key]; dup {
			return &ParseError{"sources.tsv", r.line, fmt.Errorf("source %q is listed twice", key)}
		}
		f.sources[key] = cite
	}
	return nil
}

func (f *Formulary) parseClasses(t Tables) error {
	rows, err := readTSV("classes.tsv", t.Classes, tableFiles[0].cols)
	if err != nil {
		return err
	}
	lines := map[string]int{}
	for _, r := range rows {
		c := &Class{Name: r.fields[0], Kind: r.fields[1], Parents: list(r.fields[2]), Synonyms: list(r.fields[3])}
		if c.Name == "" || fold(c.Name) == "" {
			return &ParseError{"classes.tsv", r.line, errors.New("a class needs a name")}
		}
		if c.Kind != KindFamily && c.Kind != KindClass && c.Kind != KindProperty {
			return &ParseError{"classes.tsv", r.line, fmt.Errorf("kind %q must be family, class or property", c.Kind)}
		}
		if _, dup := f.classes[c.Name]; dup {
			return &ParseError{"classes.tsv", r.line, fmt.Errorf("class %q is listed twice", c.Name)}
		}
		for _, n := range append([]string{c.Name}, c.Synonyms...) {
			k := fold(n)
			if other, dup := f.classKey[k]; k == "" || dup && other != c.Name {
				return &ParseError{"classes.tsv", r.line, fmt.Errorf("name %q is empty or already names class %q", n, other)}
			}
			f.classKey[k] = c.Name
		}
		f.classes[c.Name] = c
		lines[c.Name] = r.line
	}
	for name, c := range f.classes {
		for _, p := range c.Parents {
			if f.classes[p] == nil {
				return &ParseError{"classes.tsv", lines[name], fmt.Errorf("parent %q of %q is no class", p, name)}
			}
		}
	}
	for name := range f.classes {
		if _, err := f.ancestors(name, map[string]int{}); err != nil {
			return &ParseError{"classes.tsv", lines[name], err}
		}
	}
	return nil
}

// ancestors returns name and every class above it; state detects loops.
func (f *Formulary) ancestors(name string, state map[string]int) ([]string, error) {
	switch state[name] {
	case 1:
		return nil, fmt.Errorf("class %q is its own parent", name)
	case 2:
		return nil, nil
	}
	state[name] = 1
	out := []string{name}
	for _, p := range f.classes[name].Parents {
		up, err := f.ancestors(p, state)
		if err != nil {
			return nil, err
		}
		out = append(out, up...)
	}
	state[name] = 2
	return out, nil
}

func (f *Formulary) parseDrugs(t Tables) error {
	rows, err := readTSV("drugs.tsv", t.Drugs, tableFiles[1].cols)
	if err != nil {
		return err
	}
	for _, r := range rows {
		d, err := f.drugRow(r.fields)
		if err == nil {
			err = f.addDrug(d)
		}
		if err != nil {
			return &ParseError{"drugs.tsv", r.line, err}
		}
	}
	for i := range f.drugs {
		if err := f.closeDrug(i, map[int]int{}); err != nil {
			return &ParseError{"drugs.tsv", rows[i].line, err}
		}
	}
	f.classMembers()
	return nil
}

// classMembers fills classIn: a medication recorded only as a class
// ("insulin", "NSAIDs") is checked as what all drugs of the class are, so
// the rules of a property every member has (hypoglycaemic) still apply.
func (f *Formulary) classMembers() {
	f.classIn = map[string]map[string]bool{}
	for name := range f.classes {
		up, _ := f.ancestors(name, map[string]int{})
		own := map[string]bool{}
		for _, c := range up {
			own[c] = true
		}
		var common map[string]bool
		for _, d := range f.drugs {
			if !d.in[name] {
				continue
			}
			if common == nil {
				common = maps.Clone(d.in)
			}
			for k := range common {
				if !d.in[k] {
					delete(common, k)
				}
			}
		}
		for k := range common {
			if f.classes[k] != nil {
				own[k] = true
			}
		}
		f.classIn[name] = own
	}
}

// drugRow reads one row of drugs.tsv, checking what needs no other row.
func (f *Formulary) drugRow(c []string) (Drug, error) {
	d := Drug{Name: c[0], Class: c[2], Also: list(c[3]), EML: single(c[4]),
		Salts: list(c[5]), Synonyms: list(c[6]), Components: list(c[7])}
	if fold(d.Name) == "" {
		return d, errors.New("a drug needs a name")
	}
	forms, err := parseForms(c[8])
	if err != nil {
		return d, err
	}
	d.Forms = forms
	for _, code := range list(c[1]) {
		if !atcPattern.MatchString(code) {
			return d, fmt.Errorf("%q is no ATC code of level 4 or 5 (e.g. J01CA04)", code)
		}
		d.ATC = append(d.ATC, code)
	}
	if len(d.ATC) == 0 && len(d.Forms) > 0 {
		return d, fmt.Errorf("%s has dose forms but no ATC code", d.Name)
	}
	if d.EML != "" && d.EML != "core" && d.EML != "complementary" {
		return d, fmt.Errorf("eml %q must be core, complementary or -", d.EML)
	}
	for _, cl := range append([]string{d.Class}, d.Also...) {
		if f.classes[cl] == nil {
			return d, fmt.Errorf("%q is no class of classes.tsv", cl)
		}
	}
	if f.classes[d.Class].Kind == KindProperty {
		return d, fmt.Errorf("the main class %q of %s is a property, not a class", d.Class, d.Name)
	}
	return d, nil
}

// addDrug indexes d by every name it may be written as.
func (f *Formulary) addDrug(d Drug) error {
	i := len(f.drugs)
	names := append(append([]string{d.Name}, d.Salts...), d.Synonyms...)
	for _, n := range names {
		k := fold(n)
		if k == "" {
			return fmt.Errorf("a name of %s is empty once punctuation is dropped", d.Name)
		}
		if j, dup := f.drugKey[k]; dup && j != i {
			return fmt.Errorf("name %q of %s already names %s", n, d.Name, f.drugs[j].Name)
		}
		f.drugKey[k] = i
	}
	for _, code := range d.ATC {
		f.byATC[code] = append(f.byATC[code], i)
	}
	for j, fm := range d.Forms {
		id := d.ProductID(fm)
		if _, dup := f.products[id]; dup {
			return fmt.Errorf("%s lists the dose form %s %s twice", d.Name, fm.Strength, fm.Form)
		}
		f.products[id] = [2]int{i, j}
	}
	f.drugs = append(f.drugs, d)
	return nil
}

// closeDrug fills a drug's set of classes: its own, their ancestors, and
// for a combination its components and theirs. state detects loops.
func (f *Formulary) closeDrug(i int, state map[int]int) error {
	d := &f.drugs[i]
	switch state[i] {
	case 1:
		return fmt.Errorf("%s contains itself", d.Name)
	case 2:
		return nil
	}
	if d.in != nil {
		return nil
	}
	state[i] = 1
	in, parts := map[string]bool{}, map[string]bool{}
	for _, cl := range append([]string{d.Class}, d.Also...) {
		up, _ := f.ancestors(cl, map[string]int{})
		for _, a := range up {
			in[a] = true
		}
	}
	for _, comp := range d.Components {
		j, ok := f.drugKey[fold(comp)]
		if !ok || f.drugs[j].Name != comp || j == i {
			return fmt.Errorf("component %q of %s is no other drug of the formulary (use its name)", comp, d.Name)
		}
		if err := f.closeDrug(j, state); err != nil {
			return err
		}
		in[comp], parts[comp] = true, true
		for k := range f.drugs[j].in {
			in[k] = true
		}
		for k := range f.drugs[j].parts {
			parts[k] = true
		}
	}
	d.in, d.parts = in, parts
	for k := range in {
		if f.classes[k] != nil {
			d.Classes = append(d.Classes, k)
		}
	}
	sort.Strings(d.Classes)
	state[i] = 2
	return nil
}

// known reports whether a rule side names a class or a drug.
func (f *Formulary) known(side string) bool {
	if f.classes[side] != nil {
		return true
	}
	i, ok := f.drugKey[fold(side)]
	return ok && f.drugs[i].Name == side
}

// ruleFields checks the parts interactions.tsv and cross_reactivity.tsv
// share: two sides, a severity and sources.
func (f *Formulary) ruleFields(first, second, severity, sources string) ([]string, []string, Severity, []string, error) {
	a, b := list(first), list(second)
	if len(a) == 0 || len(b) == 0 {
		return nil, nil, 0, nil, errors.New("both sides need a drug or class")
	}
	for _, s := range append(append([]string{}, a...), b...) {
		if !f.known(s) {
			return nil, nil, 0, nil, fmt.Errorf("%q is no drug or class of the formulary", s)
		}
	}
	sev, err := ParseSeverity(severity)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	src := list(sources)
	if len(src) == 0 {
		return nil, nil, 0, nil, errors.New("a rule needs a source")
	}
	for _, s := range src {
		if f.sources[s] == "" {
			return nil, nil, 0, nil, fmt.Errorf("source %q is not in sources.tsv", s)
		}
	}
	return a, b, sev, src, nil
}

func (f *Formulary) parseInteractions(t Tables) (err error) {
	f.rules, err = f.parseRules("interactions.tsv", t.Interactions, tableFiles[2].cols)
	return err
}

func (f *Formulary) parseCross(t Tables) (err error) {
	f.cross, err = f.parseRules("cross_reactivity.tsv", t.CrossReactivity, tableFiles[3].cols)
	return err
}

// parseRules reads interactions.tsv or cross_reactivity.tsv: id, two
// sides, severity, an effect (interactions only), message and sources.
func (f *Formulary) parseRules(file string, b []byte, cols []string) ([]Rule, error) {
	rows, err := readTSV(file, b, cols)
	if err != nil {
		return nil, err
	}
	var rules []Rule
	ids := map[string]bool{}
	for _, r := range rows {
		c := r.fields
		n := len(c)
		a, b, sev, src, err := f.ruleFields(c[1], c[2], c[3], c[n-1])
		effect := "cross-reactivity"
		if n == 7 {
			effect = single(c[4])
		}
		switch {
		case err != nil:
		case c[0] == "" || ids[c[0]]:
			err = fmt.Errorf("rule id %q is empty or used twice", c[0])
		case effect == "" || single(c[n-2]) == "":
			err = errors.New("a rule needs an effect and a message")
		}
		if err != nil {
			return nil, &ParseError{file, r.line, err}
		}
		ids[c[0]] = true
		rules = append(rules, Rule{ID: c[0], First: a, Second: b, Severity: sev, Effect: effect, Message: c[n-2], Sources: src})
	}
	return rules, nil
}
