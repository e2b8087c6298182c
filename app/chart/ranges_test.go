package chart_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/assets"
)

func TestAssessVitals(t *testing.T) {
	tests := []struct {
		name string
		v    chart.Vitals
		age  int
		want []string // "measure level", most serious first
	}{
		{"adult, all usual", chart.Vitals{Systolic: 120, Diastolic: 80, Pulse: 72, Resp: 16, TempC: 36.8, SpO2: 98, BMI: 22}, 40, nil},
		{"hypertension grade 1", chart.Vitals{Systolic: 150, Diastolic: 95}, 50, []string{"systolic high", "diastolic high"}},
		{"severe hypertension is critical", chart.Vitals{Systolic: 180, Diastolic: 100}, 50, []string{"systolic critically high", "diastolic high"}},
		{"hypotension", chart.Vitals{Systolic: 90, Diastolic: 55}, 30, []string{"systolic critically low", "diastolic low"}},
		{"hypoxaemia", chart.Vitals{SpO2: 89, Pulse: 110}, 70, []string{"spo2 critically low", "pulse high"}},
		{"SpO2 93 is low, not critical", chart.Vitals{SpO2: 93}, 70, []string{"spo2 low"}},
		{"fever", chart.Vitals{TempC: 38.5}, 30, []string{"temp high"}},
		{"hypothermia", chart.Vitals{TempC: 34.9}, 30, []string{"temp critically low"}},
		{"bradycardia", chart.Vitals{Pulse: 40}, 30, []string{"pulse critically low"}},
		{"tachypnoea", chart.Vitals{Resp: 26}, 30, []string{"resp critically high"}},
		{"obesity class III", chart.Vitals{BMI: 41.2}, 45, []string{"bmi critically high"}},
		{"infant pulse 140 is usual", chart.Vitals{Pulse: 140, Resp: 35}, 0, nil},
		{"same pulse in an adult is high", chart.Vitals{Pulse: 140}, 30, []string{"pulse critically high"}},
		{"child of 3: resp 35 is high", chart.Vitals{Resp: 35, Pulse: 100}, 3, []string{"resp high"}},
		{"child BMI is not judged", chart.Vitals{BMI: 30}, 8, nil},
		{"unknown age: nothing judged", chart.Vitals{Systolic: 200, SpO2: 80}, -1, nil},
		{"not measured is not low", chart.Vitals{}, 30, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range chart.AssessVitals(tt.v, tt.age) {
				got = append(got, f.Measure+" "+f.Level)
			}
			if strings.Join(got, ", ") != strings.Join(tt.want, ", ") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	f := chart.AssessVitals(chart.Vitals{Systolic: 185}, 50)[0]
	if !f.Critical() || !strings.Contains(f.String(), "Systolic pressure 185 mmHg: critically high (usual 91–139; source: esh2018") {
		t.Errorf("flag reads %q", f.String())
	}
}

// TestRangesNameTheirSources: every range of the bundled table cites
// sources that assets/vitals/SOURCE.md lists.
func TestRangesNameTheirSources(t *testing.T) {
	rs, err := chart.ParseRanges(assets.VitalRanges)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "assets", "vitals", "SOURCE.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		for _, s := range r.Sources {
			if !strings.Contains(string(src), "| "+s+" |") {
				t.Errorf("%s %d-%d cites %q, which SOURCE.md does not list", r.Measure, r.From, r.To, s)
			}
		}
	}
}

func TestParseRangesRejects(t *testing.T) {
	for _, bad := range []string{
		"pulse\t18\t130\t60\t100\t40\t131\n",                              // 7 columns
		"heart\t18\t130\t60\t100\t40\t131\tx\n",                           // unknown measure
		"pulse\t30\t18\t60\t100\t40\t131\tx\n",                            // ages backwards
		"pulse\t18\t130\t100\t60\t40\t131\tx\n",                           // low above high
		"pulse\t18\t130\t60\t100\t70\t131\tx\n",                           // critical low above low
		"pulse\t18\t130\t60\t100\t40\t131\t\n",                            // no source
		"pulse\t18\t130\t60\tmany\t40\t131\tx\n",                          // not a number
		"pulse\t18\t130\t60\t100\t\t\tx\npulse\t20\t40\t60\t100\t\t\tx\n", // overlap
	} {
		if _, err := chart.ParseRanges([]byte(bad)); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

func FuzzParseRanges(f *testing.F) {
	f.Add(assets.VitalRanges)
	f.Add([]byte("pulse\t0\t1\t110\t160\t\t\tapls\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := chart.ParseRanges(b)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.Low > r.High || r.From >= r.To {
				t.Fatalf("accepted a row out of order: %+v", r)
			}
		}
	})
}
