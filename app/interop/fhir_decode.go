package interop

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Reading a bundle entry strictly: each resource must decode into its
// FHIR R4 model, with no unknown element and no wrong type, and what it
// refers to must be in the same bundle.

// decodeStrict decodes a resource into its model, refusing unknown
// elements and wrong types; it returns the resource's elements by name
// for the checks of required ones.
func decodeStrict(raw []byte, v any) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New(jsonProblem(err))
	}
	clean := make(map[string]json.RawMessage, len(m))
	for k, val := range m {
		if k != "resourceType" && !strings.HasPrefix(k, "_") && k != "entry" {
			clean[k] = val
		}
	}
	b, err := json.Marshal(clean)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, errors.New(jsonProblem(err))
	}
	// encoding/json matches names regardless of case; FHIR does not.
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return nil, err
	}
	if bad := unknownElement(tree, reflect.TypeOf(v), ""); bad != "" {
		return nil, fmt.Errorf("unknown element %q", bad)
	}
	return m, nil
}

// unknownElement returns the path of the first element of tree whose name
// is not exactly one of its model's (t), or "".
func unknownElement(tree any, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t == reflect.TypeOf(json.RawMessage{}) {
			return ""
		}
		t = t.Elem()
	}
	switch x := tree.(type) {
	case []any:
		for _, e := range x {
			if bad := unknownElement(e, t, path); bad != "" {
				return bad
			}
		}
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return ""
		}
		for k, val := range x {
			if strings.HasPrefix(k, "_") {
				continue
			}
			f, ok := jsonField(t, k)
			if !ok {
				return path + k
			}
			if bad := unknownElement(val, f.Type, path+k+"."); bad != "" {
				return bad
			}
		}
	}
	return ""
}

// jsonField is the field of struct t named name in JSON, exactly.
func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// jsonProblem says what the JSON decoder found wrong, naming the element.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := "a " + te.Type.Kind().String()
		switch te.Type.Kind().String() {
		case "string":
			want = "text"
			if te.Type.Name() == "Number" {
				want = "a number"
			}
		case "int", "int64", "float64":
			want = "a number"
		case "bool":
			want = "true or false"
		case "struct", "map":
			want = "an object"
		case "slice":
			want = "a list"
		}
		field := te.Field
		if field == "" {
			field = "the value"
		}
		return fmt.Sprintf("%s is a JSON %s where %s is expected", field, te.Value, want)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if f, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return "unknown element " + f
	}
	return msg
}

func (x *fhirImporter) decode(e *bundleEntry, v any) (map[string]json.RawMessage, error) {
	m, err := decodeStrict(e.raw, v)
	if err != nil {
		return nil, e.errf("%s", err)
	}
	return m, nil
}

// resolve finds the entry a reference Medihaven follows points to (nil
// when the reference names no resource, only a display text). It must be
// an entry of the bundle, of type want, that is kept.
func (x *fhirImporter) resolve(e *bundleEntry, field string, ref *fhir.Reference, want string) (*bundleEntry, error) {
	if ref == nil || ref.Reference == nil {
		return nil, nil
	}
	t, err := x.target(e, field, *ref.Reference)
	switch {
	case err != nil:
		return nil, err
	case t == nil:
		return nil, e.errf("%s %q points to no resource of this bundle", field, *ref.Reference)
	case t.typ != want:
		return nil, e.errf("%s points to a %s (entry %d), not a %s", field, t.typ, t.n, want)
	case t.entity == "" && t.typ != "Patient":
		return nil, e.errf("%s points to entry %d, which is left out", field, t.n)
	}
	return t, nil
}

// subject is the patient a record is about, which the bundle must hold.
func (x *fhirImporter) subject(e *bundleEntry, field string, ref *fhir.Reference) (*bundleEntry, error) {
	if ref == nil || ref.Reference == nil {
		return nil, e.errf("%s missing: every record must name its patient", field)
	}
	return x.resolve(e, field, ref, "Patient")
}

// attribution is the name of who wrote a record: the Practitioner it
// refers to, or the reference's display text. (references has checked
// that every reference points where it may.)
func (x *fhirImporter) attribution(e *bundleEntry, field string, refs ...*fhir.Reference) (string, error) {
	for _, ref := range refs {
		if ref == nil {
			continue
		}
		if ref.Reference != nil {
			t, err := x.target(e, field, *ref.Reference)
			if err != nil {
				return "", err
			}
			if t != nil && t.typ == "Practitioner" && t.name != "" {
				return t.name, nil
			}
		}
		if d := strings.TrimSpace(strOr(ref.Display)); d != "" {
			return d, nil
		}
	}
	return "", nil
}

// when reads a FHIR dateTime or instant with a time, or a date (midnight
// UTC).
func when(e *bundleEntry, field, s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, e.errf("%s %q is not a date and time (write it like 2024-05-01T09:30:00+02:00)", field, s)
}

// datePart reads a FHIR date or dateTime and returns its date: YYYY,
// YYYY-MM or YYYY-MM-DD as written.
func datePart(e *bundleEntry, field, s string) (string, error) {
	for _, layout := range []string{"2006", "2006-01", "2006-01-02"} {
		if _, err := time.Parse(layout, s); err == nil && len(s) == len(layout) {
			return s, nil
		}
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return s[:10], nil
	}
	return "", e.errf("%s %q is not a date (write YYYY-MM-DD, or a date and time)", field, s)
}
