package interop

import (
	"encoding/json"
	"fmt"
	"strings"
)

// References inside a bundle. A literal reference (urn:uuid:..., Type/id
// or a URL ending in Type/id) must name an entry of the bundle, whatever
// element holds it: one that points nowhere is refused the same way
// everywhere. A conditional reference (Practitioner?identifier=system|value)
// is a search the receiving system runs: it names the entry whose
// identifier matches, and when no entry matches it is kept as the display
// text it carries (the Synthea way of naming practitioners, organizations
// and locations kept in other files); only an element Medihaven follows
// (the patient, the encounter, a result) must then find its entry.

// target is the entry reference s names: nil when it is a conditional
// reference that matches no entry, or a contained one (#id). A literal
// reference that names no entry, or a conditional one that matches two,
// is an error naming field.
func (x *fhirImporter) target(e *bundleEntry, field, s string) (*bundleEntry, error) {
	if strings.HasPrefix(s, "#") {
		return nil, nil
	}
	if typ, query, ok := strings.Cut(s, "?"); ok {
		matches := x.byIdent[typ+"?"+query]
		switch {
		case !strings.HasPrefix(query, "identifier="):
			return nil, e.errf("%s %q searches by something other than an identifier, which Medihaven cannot resolve", field, s)
		case len(matches) > 1:
			return nil, e.errf("%s %q matches entries %d and %d; it must name one", field, s, matches[0].n, matches[1].n)
		case len(matches) == 1:
			return matches[0], nil
		}
		return nil, nil
	}
	if t, ok := x.byRef[s]; ok {
		return t, nil
	}
	if parts := strings.Split(s, "/"); len(parts) >= 2 {
		if t, ok := x.byRef[parts[len(parts)-2]+"/"+parts[len(parts)-1]]; ok {
			return t, nil
		}
	}
	return nil, e.errf("%s %q points to no resource of this bundle", field, s)
}

// references checks every reference of a kept entry's resource, in every
// element, so a literal reference to nothing is refused wherever it is
// (Encounter.serviceProvider as much as Observation.subject).
func (x *fhirImporter) references(e *bundleEntry) error {
	var tree any
	if err := json.Unmarshal(e.raw, &tree); err != nil {
		return e.errf("the resource is not a FHIR resource: %s", jsonProblem(err))
	}
	return x.walkRefs(e, tree, "")
}

func (x *fhirImporter) walkRefs(e *bundleEntry, v any, path string) error {
	switch t := v.(type) {
	case map[string]any:
		if path != "" {
			if s, ok := t["reference"].(string); ok {
				if _, err := x.target(e, strings.TrimSuffix(path, "."), s); err != nil {
					return err
				}
			}
		}
		for k, val := range t {
			if k == "contained" {
				continue
			}
			if err := x.walkRefs(e, val, path+k+"."); err != nil {
				return err
			}
		}
	case []any:
		for i, val := range t {
			if err := x.walkRefs(e, val, fmt.Sprintf("%s[%d].", strings.TrimSuffix(path, "."), i)); err != nil {
				return err
			}
		}
	}
	return nil
}
