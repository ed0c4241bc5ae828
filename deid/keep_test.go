package deid

import (
	"strings"
	"testing"
)

// mustKeep lists clinical content that de-identification must never
// change: doses, vitals, lab values, scores, ages of 89 and under, ICD
// codes, drug names, eponyms, section headers and bare years.
var mustKeep = []string{
	// doses
	"5 MG", "40 mEq", "Lasix 40 mg IV BID", "metoprolol 25 mg PO BID", "heparin 5000 units SQ TID", "insulin glargine 20 units qhs",
	"Percocet 5/325 1-2 tabs q4h PRN", "Sinemet 25/100", "Bactrim DS 800/160", "NS at 75 cc/hr", "D5 1/2 NS with 20 KCl",
	"levophed 0.08 mcg/kg/min", "vasopressin 0.04 units/min", "1/2 tab", "10-15 mg", "2-3 L NC", "0.5 mg IV",
	// vitals
	"BP 120/80", "BP 142/88", "BP 90/50", "HR 88", "HR 110-120", "SAT 94%", "SAT 92-94%", "RR 22", "T 38.4", "Temp max 100.4",
	"CVP 8", "CI 2.4", "MAP 65", "SBP 90s", "sats 94-96%", "HR 70s-80s",
	// labs
	"K 3.9", "INR 2.0", "Na 138", "Cr 1.2", "Hct 31.5", "Hgb 7.9", "WBC 14.2", "Plt 250,000", "Platelets 98 K", "Mg 1.4",
	"BNP 1240", "Plt 250000", "viral load 1500000 copies", "WBC 12000", "Lactate 4.1", "TSH 0.01", "A1c 9.4%", "PTT 45", "Troponin 0.04", "ABG 7.36/42/88", "BS 212", "QTc 480",
	"I/O 1200/850", "EF 35%",
	// scores and exam findings
	"pain 3/10", "pain 7/10", "0/10", "strength 5/5", "4/5 strength", "3/6 systolic murmur", "2/2 bottles", "GCS 15",
	"Apgar 8 and 9", "Braden 13", "Morse fall score 55", "RASS -1", "A&Ox3", "2+ DP/PT", "CPAP 10/5", "AC 450/14/5/40%",
	// ages 89 and under, years
	"85 years old", "74 year old", "89 yo", "67 yo M", "45 yo", "ages 18-65", "in 2018", "since 2010", "2019",
	// codes
	"E11.9", "I10", "J44.1", "Z79.01", "ICD-10",
	// drugs, eponyms, devices, headers
	"Lasix", "Coumadin", "Zosyn", "Keppra", "Ativan", "Haldol", "Precedex", "Jevity", "Mepilex", "Foley", "Swan-Ganz",
	"Graves disease", "Wells score", "Babinski", "Parkinson disease", "Crohn disease", "Hodgkin lymphoma", "Alzheimer dementia",
	"Cushing syndrome", "Addison disease", "Glasgow coma scale", "Bell's palsy", "Guillain-Barre syndrome", "Kawasaki disease",
	"Wilms tumor", "Murphy's sign", "Homans sign", "Trendelenburg position", "Cheyne-Stokes", "Wolff-Parkinson-White",
	"Mobitz type I", "Brugada pattern", "Hashimoto thyroiditis", "Barrett esophagus", "Whipple procedure",
	"HISTORY OF PRESENT ILLNESS:", "Assessment and Plan:", "NEURO:", "CV:", "RESP:", "GI:", "GU:", "SKIN:", "SOCIAL:",
}

// TestKeepsClinicalValues puts each must-keep string in a sentence and
// checks that it comes out of Redact unchanged.
func TestKeepsClinicalValues(t *testing.T) {
	r := NewReplacer(New(Options{}), Placeholder, []byte("k"))
	for _, k := range mustKeep {
		for _, text := range []string{k, "Pt with " + k + ", will continue to monitor.", "Plan: " + k + " as ordered."} {
			out, spans := r.Redact(text, "")
			if !strings.Contains(out, k) {
				t.Errorf("%q changed: %q -> %q (%v)", k, text, out, spans)
			}
		}
	}
}
