package course

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/checkinbot/checkinbot/flows"
)

// The FHIR R4 export: a Bundle of type "collection" holding, for each
// completed PHQ-9 and GAD-7, a QuestionnaireResponse (the items under their
// LOINC codes) and an Observation of the total score, and for each blood
// pressure reading a blood pressure panel Observation and a heart rate
// Observation, as in the FHIR R4 vital signs profile examples. The patient
// is identified by the clinic's label only.

// Code systems.
const (
	SystemLOINC    = "http://loinc.org"
	SystemUCUM     = "http://unitsofmeasure.org"
	SystemCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
	// SystemLabel is the identifier system of the clinic's patient labels.
	SystemLabel = "urn:checkinbot:patient-label"
)

// LOINC codes.
const (
	LOINCPHQ9Panel  = "44249-1"
	LOINCPHQ9Total  = "44261-6"
	LOINCGAD7Panel  = "69737-5"
	LOINCGAD7Total  = "70274-6"
	LOINCBPPanel    = "85354-9"
	LOINCSystolic   = "8480-6"
	LOINCDiastolic  = "8462-4"
	LOINCHeartRate  = "8867-4"
	loincDifficulty = "69722-7" // PHQ-9: how difficult have these problems made it…
)

// instrumentCodes are each instrument's panel, total and item codes (by the
// item ids of the default protocol; a clinic's own item ids keep their id
// as the linkId).
var instrumentCodes = map[string]struct {
	panel, total, title string
	items               map[string]string
}{
	flows.InstrumentPHQ9: {LOINCPHQ9Panel, LOINCPHQ9Total, "PHQ-9 quick depression assessment panel", map[string]string{
		"phq1": "44250-9", "phq2": "44255-8", "phq3": "44259-0", "phq4": "44254-1", "phq5": "44251-7",
		"phq6": "44258-2", "phq7": "44252-5", "phq8": "44253-3", "phq9": "44260-8", "difficulty": loincDifficulty,
	}},
	flows.InstrumentGAD7: {LOINCGAD7Panel, LOINCGAD7Total, "Generalized anxiety disorder 7 item (GAD-7)", map[string]string{
		"gad1": "69725-0", "gad2": "68509-9", "gad3": "69733-4", "gad4": "69734-2", "gad5": "69735-9",
		"gad6": "69689-8", "gad7": "69736-7",
	}},
}

// frequencyAnswers are the LOINC answer codes of the 0–3 frequency scale
// (LL358-3) shared by PHQ-9 and GAD-7 items.
var frequencyAnswers = map[string][2]string{
	"0": {"LA6568-5", "Not at all"}, "1": {"LA6569-3", "Several days"},
	"2": {"LA6570-1", "More than half the days"}, "3": {"LA6571-9", "Nearly every day"},
}

// FHIR returns the course as a FHIR R4 collection Bundle in JSON, stamped
// at now. Resource ids are derived from the label and the run, so a second
// export of the same check-in carries the same ids.
func (c Course) FHIR(now time.Time) ([]byte, error) {
	b := fhir.Bundle{Type: fhir.BundleTypeCollection, Timestamp: ptr(now.UTC().Format(time.RFC3339))}
	add := func(id string, r any) error {
		js, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("course: FHIR %s: %w", id, err)
		}
		b.Entry = append(b.Entry, fhir.BundleEntry{FullUrl: ptr("urn:uuid:" + id), Resource: js})
		return nil
	}
	for _, ci := range c.CheckIns {
		if ci.Score == nil {
			continue
		}
		codes, ok := instrumentCodes[ci.Score.Instrument]
		if !ok {
			continue
		}
		qrID, obsID := c.uuid("qr", ci.Run), c.uuid("score", ci.Run)
		if err := add(qrID, c.questionnaireResponse(qrID, ci)); err != nil {
			return nil, err
		}
		obs := fhir.Observation{
			Id: ptr(obsID), Status: fhir.ObservationStatusFinal,
			Category:          []fhir.CodeableConcept{category("survey", "Survey")},
			Code:              loinc(codes.total, codes.title+" total score"),
			Subject:           c.subject(),
			EffectiveDateTime: ptr(ci.EndedAt.UTC().Format(time.RFC3339)),
			ValueInteger:      ptr(ci.Score.Total),
			Interpretation:    []fhir.CodeableConcept{{Text: ptr(ci.Score.Band)}},
			DerivedFrom:       []fhir.Reference{{Reference: ptr("urn:uuid:" + qrID)}},
		}
		if err := add(obsID, obs); err != nil {
			return nil, err
		}
	}
	for _, r := range c.Readings {
		key := strconv.FormatInt(r.At.UnixNano(), 10)
		bpID, hrID := c.uuid("bp", key), c.uuid("hr", key)
		when := ptr(r.At.UTC().Format(time.RFC3339))
		bp := fhir.Observation{
			Id: ptr(bpID), Status: fhir.ObservationStatusFinal,
			Category: []fhir.CodeableConcept{category("vital-signs", "Vital Signs")},
			Code:     loinc(LOINCBPPanel, "Blood pressure panel with all children optional"),
			Subject:  c.subject(), EffectiveDateTime: when,
			Component: []fhir.ObservationComponent{
				{Code: loinc(LOINCSystolic, "Systolic blood pressure"), ValueQuantity: quantity(r.Systolic, "mmHg", "mm[Hg]")},
				{Code: loinc(LOINCDiastolic, "Diastolic blood pressure"), ValueQuantity: quantity(r.Diastolic, "mmHg", "mm[Hg]")},
			},
		}
		hr := fhir.Observation{
			Id: ptr(hrID), Status: fhir.ObservationStatusFinal,
			Category: []fhir.CodeableConcept{category("vital-signs", "Vital Signs")},
			Code:     loinc(LOINCHeartRate, "Heart rate"),
			Subject:  c.subject(), EffectiveDateTime: when,
			ValueQuantity: quantity(r.Pulse, "beats/minute", "/min"),
		}
		if err := add(bpID, bp); err != nil {
			return nil, err
		}
		if err := add(hrID, hr); err != nil {
			return nil, err
		}
	}
	return json.MarshalIndent(b, "", "  ")
}

// questionnaireResponse is a completed instrument's answers, item by item,
// then its total.
func (c Course) questionnaireResponse(id string, ci flows.Completion) fhir.QuestionnaireResponse {
	codes := instrumentCodes[ci.Score.Instrument]
	qr := fhir.QuestionnaireResponse{
		Id: ptr(id), Status: fhir.QuestionnaireResponseStatusCompleted,
		Questionnaire: ptr("http://loinc.org/q/" + codes.panel),
		Subject:       c.subject(),
		Authored:      ptr(ci.EndedAt.UTC().Format(time.RFC3339)),
	}
	if ci.Outcome != flows.OutcomeCompleted {
		// Scored, yet ended before its last unscored item, e.g. by a
		// crisis answer to PHQ-9 item 9.
		qr.Status = fhir.QuestionnaireResponseStatusStopped
	}
	for _, a := range ci.Answers {
		linkID := a.Item
		if code, ok := codes.items[a.Item]; ok {
			linkID = code
		}
		ans := fhir.QuestionnaireResponseItemAnswer{ValueString: ptr(a.Display)}
		if f, ok := frequencyAnswers[a.Value]; ok {
			ans = fhir.QuestionnaireResponseItemAnswer{ValueCoding: &fhir.Coding{System: ptr(SystemLOINC), Code: ptr(f[0]), Display: ptr(f[1])}}
		}
		qr.Item = append(qr.Item, fhir.QuestionnaireResponseItem{LinkId: linkID, Answer: []fhir.QuestionnaireResponseItemAnswer{ans}})
	}
	qr.Item = append(qr.Item, fhir.QuestionnaireResponseItem{LinkId: codes.total,
		Answer: []fhir.QuestionnaireResponseItemAnswer{{ValueInteger: ptr(ci.Score.Total)}}})
	return qr
}

// subject identifies the patient by the clinic's label only.
func (c Course) subject() *fhir.Reference {
	return &fhir.Reference{Identifier: &fhir.Identifier{System: ptr(SystemLabel), Value: ptr(c.Label)}, Display: ptr(c.Label)}
}

// uuid derives a stable name-based UUID (RFC 4122 version 5 layout, over
// SHA-256) from the label, a kind and a key.
func (c Course) uuid(kind, key string) string {
	h := sha256.Sum256([]byte(c.Label + "\x00" + kind + "\x00" + key))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	s := hex.EncodeToString(h[:16])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

func loinc(code, display string) fhir.CodeableConcept {
	return fhir.CodeableConcept{Coding: []fhir.Coding{{System: ptr(SystemLOINC), Code: ptr(code), Display: ptr(display)}}, Text: ptr(display)}
}

func category(code, display string) fhir.CodeableConcept {
	return fhir.CodeableConcept{Coding: []fhir.Coding{{System: ptr(SystemCategory), Code: ptr(code), Display: ptr(display)}}}
}

func quantity(v int, unit, code string) *fhir.Quantity {
	n := json.Number(strconv.Itoa(v))
	return &fhir.Quantity{Value: &n, Unit: ptr(unit), System: ptr(SystemUCUM), Code: ptr(code)}
}

func ptr[T any](v T) *T { return &v }
