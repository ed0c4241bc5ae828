package deid

import (
	"regexp"
	"strings"
)

const stateAbbrevRe = `(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR)`

const stateNameRe = `(?:Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming|Puerto Rico)`

// stateFirstWords are the first words of state names ("New", "Rhode").
var stateFirstWords = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Split(strings.Trim(stateNameRe, "(?:)"), "|") {
		m[strings.Fields(n)[0]] = true
	}
	return m
}()

var (
	reStreet = anchored(`\b\d{1,6}[A-Za-z]?(?:\s+[NSEW]\.?)?(?:\s+(?:[A-Z][A-Za-z'\-]*\.?|\d{1,3}(?:st|nd|rd|th)))\s*(?:[A-Z][A-Za-z'\-]*\.?\s+){0,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Highway|Hwy|Parkway|Pkwy|Square|Sq|Trail|Trl|Turnpike|Tpke|Pike|Row|Path|Alley|Plaza|Loop|Crescent|Cres|Run|Point|Pt)\b\.?(?:,?\s*(?:Apt|Apartment|Unit|Suite|Ste|#|Rm|Room|Floor|Fl|Bldg|Building)\.?\s*#?\s*[A-Za-z0-9\-]+)?`)
	rePOBox  = anchored(`(?i)\bP\.?\s?O\.?\s*Box\s+\d+`)
	// "Springfield, IL 62704", "Salt Lake City, Utah"
	reCityState = anchored(`\b[A-Z][a-z]+(?:[ \-][A-Z][a-z]+){0,2},\s*(?:` + stateAbbrevRe + `|` + stateNameRe + `)\b(?:\.?\s+\d{5}(?:-\d{4})?\b)?`)
	reStateZIP  = anchored(`\b` + stateAbbrevRe + `\.?\s+\d{5}(?:-\d{4})?\b`)
	reStateName = regexp.MustCompile(`^` + stateNameRe + `\b`)
)

// Facility head words: "X Hospital", "X Medical Center", "X Nursing Home".
var facilityWords = setOf("hospital", "hospitals", "medical", "clinic", "clinics", "infirmary", "hospice", "rehab",
	"rehabilitation", "manor", "center", "centre", "ctr", "institute", "university", "college", "pharmacy", "healthcare",
	"health", "nursing", "memorial", "general", "lodge", "gardens", "village", "residence", "estates", "sanitarium",
	"sanatorium", "convalescent", "church", "school", "academy", "home", "house", "living", "care", "associates",
	"practice", "group", "shelter", "prison", "jail", "correctional", "facility", "pavilion", "inc", "corp", "llc",
	"company", "bank", "airport", "station", "mall", "va", "vamc", "medicine", "physicians", "pediatrics", "partners")

// strongHeads name a place of care by themselves: "Mercy Hospital" is a
// facility even though "mercy" is an English word. weakHeads ("Home",
// "Center") need a proper name before them ("Sunnyside Home", not
// "Discharge Home").
var (
	strongHeads = setOf("hospital", "hospitals", "clinic", "clinics", "infirmary", "hospice", "sanitarium", "sanatorium",
		"convalescent", "vamc", "va", "memorial")
	weakHeads = map[string]int{"manor": 1, "center": 1, "centre": 1, "ctr": 1, "institute": 1, "university": 1, "college": 1,
		"lodge": 1, "gardens": 1, "village": 1, "residence": 1, "estates": 1, "church": 1, "school": 1, "academy": 1,
		"home": 1, "house": 1, "associates": 1, "practice": 1, "group": 1, "shelter": 1, "prison": 1, "jail": 1,
		"correctional": 1, "facility": 1, "pavilion": 1, "inc": 1, "corp": 1, "llc": 1, "company": 1, "bank": 1,
		"airport": 1, "station": 1, "mall": 1, "orthopedics": 1, "orthopaedics": 1, "cardiology": 1, "dermatology": 1, "urology": 1, "oncology": 1, "neurology": 1,
		"radiology": 1, "dentistry": 1, "podiatry": 1, "chiropractic": 1, "laboratories": 1, "diagnostics": 1,
		"medicine": 1, "physicians": 1, "rehab": 1, "rehabilitation": 1, "healthcare": 1, "pharmacy": 1, "pediatrics": 1, "partners": 1, "general": 1}
)

// properFor: word j can make a facility name proper before head: any
// capitalised word for a strong head, a name-like word for a weak one.
func (s *scan) properFor(j int, head string) bool {
	if strongHeads[head] {
		return true
	}
	c := s.classAt(j)
	if deptHeads[head] {
		// "Nguyen Dermatology", not "Interventional Cardiology".
		return c&(wFirst|wSurname|wCity|wNameWord) != 0 && c&wClinical == 0
	}
	return c&wEnglish == 0 || c&(wFirst|wSurname|wCity|wNameWord) != 0
}

// deptHeads are specialties that also name private practices.
var deptHeads = setOf("orthopedics", "orthopaedics", "cardiology", "dermatology", "urology", "oncology", "neurology",
	"radiology", "dentistry", "podiatry", "chiropractic", "laboratories", "diagnostics")

// Words that head a facility name but are clinical units or generic
// ("ICU", "Emergency", "Cardiology Clinic" stays).
var genericFacility = setOf("the", "a", "an", "our", "this", "that", "outside", "other", "local", "same", "his", "her",
	"their", "emergency", "cardiology", "oncology", "surgery", "surgical", "medical", "medicine", "pain", "wound", "dialysis",
	"primary", "urgent", "pulmonary", "renal", "gi", "neurology", "psychiatry", "psychiatric", "infusion", "cancer", "heart",
	"vascular", "orthopedic", "orthopedics", "pediatric", "women's", "children's", "eye", "dental", "skilled", "long-term",
	"acute", "nursing", "health", "care", "rehab", "rehabilitation", "community", "county", "state", "city", "regional",
	"general", "university", "memorial", "transplant", "ortho", "spine", "sleep", "diabetes", "endocrine", "anticoagulation",
	"coumadin", "hospital", "clinic", "center", "home", "house", "group", "living", "assisted", "senior", "private",
	"family", "internal", "adult", "day", "outpatient", "inpatient", "hospice", "mental", "behavioral", "substance", "abuse",
	"detox", "methadone", "addiction", "free", "walk-in", "ed", "er", "icu", "micu", "sicu", "ccu", "nicu", "picu", "or",
	"pacu", "va", "vamc")

// Cues before a place: strong ones admit any capitalised words, weak ones
// a known city or state.
var (
	strongPlaceCues = []string{"lives in", "living in", "lives at", "resides in", "resident of", "resides at", "native of", "born in",
		"moved to", "moved from", "relocated to", "home in", "house in", "vacation in", "vacationing in", "visiting from",
		"trip to", "travel to", "traveled to", "travelled to", "returned from", "flew to", "flew in from", "transferred from",
		"transferred to", "transfer from", "transfer to", "tx from", "tx to", "xfer from", "xfer to", "admitted from",
		"admitted to", "discharged to", "d/c to", "d/c'd to", "sent to", "sent from", "went to", "brought from",
		"originally from", "is from", "family in", "works at", "worked at", "works for", "employed at", "employed by",
		"retired from", "graduated from", "attends", "followed at", "seen at", "treated at", "care at", "dialysis at",
		"lives with family in", "nursing home in", "rehab in", "hospital in", "go to", "going to", "goes to", "followed by",
		"transition to", "placement at", "placed at", "bed at", "accepted at", "accepted to", "screened by"}
	weakPlaceCues = setOf("in", "from", "to", "at", "near", "of", "outside", "around", "towards", "toward", "via", "by")
)

// places marks addresses, ZIP codes, cities, states and facilities.
func (s *scan) places() {
	text := s.text
	if strings.ContainsAny(text, "0123456789") {
		addLoc := func(m []int) { s.add(m[0], m[1], Location) }
		s.each(reStreet, s.numWhere(false, func(n int, nx byte) bool {
			return n <= 6 && (nx == ' ' || nx >= 'A' && nx <= 'Z' || nx >= 'a' && nx <= 'z')
		}), addLoc)
		s.each(rePOBox, s.cands.cue[cPOBox], addLoc)
		s.each(reStateZIP, s.cands.cue[cState], addLoc)
		s.each(reZIP, s.cands.cue[cZIP], func(m []int) { s.add(m[2], m[3], Location) })
	}
	s.each(reCityState, s.cityStateStarts(), func(m []int) {
		first := text[m[0] : m[0]+strings.IndexAny(text[m[0]:], " ,-")]
		if wordClass(first)&wClinical == 0 {
			s.add(m[0], m[1], Location)
		}
	})
	s.facilities()
	s.abbrevHospitals()
	s.cuedPlaces()
}

// cityStateStarts: up to three capitalised words before ", ST" or
// ", State", earliest first.
func (s *scan) cityStateStarts() []int {
	var out []int
	for i, t := range s.toks {
		if t.kind != tPunct || s.text[t.start] != ',' || i+1 >= len(s.toks) || s.toks[i+1].kind != tWord {
			continue
		}
		next := s.word(i + 1)
		if cueKinds[strings.ToLower(next)]&cState == 0 && !(stateFirstWords[next] && reStateName.MatchString(s.window(s.toks[i+1].start))) {
			continue
		}
		if len(next) == 2 && !isUpperWord(next) {
			continue
		}
		if (next == "PA" || next == "MD") && i > 0 && s.isName[i-1] {
			continue // "Ruth Sanchez, PA": a credential after a name
		}
		first := -1
		for j, k := i-1, 0; j >= 0 && k < 3 && s.toks[j].kind == tWord && isCap(s.word(j)); j, k = j-1, k+1 {
			first = j
			if j > 0 && s.toks[j-1].kind == tPunct && s.word(j-1) == "-" {
				j--
			}
		}
		if first >= 0 && (len(out) == 0 || out[len(out)-1] < s.toks[first].start) {
			out = append(out, s.toks[first].start)
		}
	}
	return out
}

// facilities marks "Capitalised words + facility word" ("Mercy General
// Hospital", "St. Jude Medical Center", "Hospital of St. Raphael").
func (s *scan) facilities() {
	n := len(s.toks)
	for i := 0; i < n; i++ {
		t := s.toks[i]
		if t.kind != tWord {
			continue
		}
		w := s.word(i)
		lw := s.lowerTok(i)
		if weakHeads[lw] == 0 && !strongHeads[lw] || !(isCap(w) || isUpperWord(w)) {
			continue
		}
		// Walk back over capitalised words, "St.", "of", "the", "&".
		start, proper := i, false
		for j := i - 1; j >= 0 && i-j <= 6; j-- {
			tj := s.toks[j]
			if tj.kind == tPunct {
				p := s.word(j)
				if p == "." || p == "&" || p == "'" || p == "’" || p == "-" {
					continue
				}
				break
			}
			if tj.kind != tWord || s.toks[j+1].newline {
				break
			}
			wj := s.word(j)
			lj := strings.ToLower(wj)
			if lj == "of" || lj == "and" {
				continue
			}
			if !(isCap(wj) || isUpperWord(wj) && len(wj) >= 3) {
				break
			}
			if s.classAt(j)&wClinical != 0 && isUpperWord(wj) && !facilityWords[lj] && lj != "st" {
				break // "ICU", "ED": a unit, not part of a name
			}
			if !genericFacility[baseWord(wj)] && !facilityWords[lj] && s.properFor(j, lw) {
				proper = true
			}
			start = j
		}
		end := t.end
		// Forward: "Hospital of Saint Raphael", "University of Chicago Medical Center".
		k := i + 1
		for k < n && k-i <= 6 {
			tk := s.toks[k]
			if tk.newline {
				break
			}
			if tk.kind == tPunct && (s.word(k) == "." || s.word(k) == "'") {
				k++
				continue
			}
			if tk.kind != tWord {
				break
			}
			wk := s.word(k)
			lk := strings.ToLower(wk)
			if lk == "of" || lk == "the" || lk == "at" && k == i+1 {
				k++
				continue
			}
			if !isCap(wk) && !isUpperWord(wk) || s.classAt(k)&wClinical != 0 && !facilityWords[lk] {
				break
			}
			if s.classAt(k)&wEnglish != 0 && s.classAt(k)&(wFirst|wSurname|wCity) == 0 && !facilityWords[lk] && lk != "saint" {
				break // "Nursing Progress Note": ordinary words end the name
			}
			if !genericFacility[lk] && !facilityWords[lk] {
				proper = true
			}
			end = tk.end
			k++
		}
		if proper {
			s.add(s.toks[start].start, end, Hospital)
		}
	}
}

// hospitalAbbrevs are well-known hospital acronyms that notes use as
// names ("transferred from MGH").
var hospitalAbbrevs = setOf("MGH", "BWH", "BIDMC", "BIDH", "NEBH", "MEEI", "DFCI", "MSKCC", "MDACC", "UPMC", "OHSU", "VUMC",
	"CHOP", "HSS", "NYP", "NYU", "UCLA", "UCSF", "UCSD", "UAB", "UNC", "JHH", "MUSC", "UTSW", "BMC", "NEMC", "CCF", "UIHC", "UWMC",
	"SFGH", "LAC", "CPMC", "MCW", "UCMC", "UMMC", "HUP", "TJUH", "VAMC", "VAMC's")

// abbrevHospitals marks those acronyms.
func (s *scan) abbrevHospitals() {
	for i, t := range s.toks {
		if t.kind == tWord && t.end-t.start <= 6 && hospitalAbbrevs[s.word(i)] {
			s.add(t.start, t.end, Hospital)
		}
	}
}

// cuedPlaces marks capitalised place names after place cues.
func (s *scan) cuedPlaces() {
	n := len(s.toks)
	lowerText := ""
	for i := 0; i < n; i++ {
		t := s.toks[i]
		if t.kind != tWord {
			continue
		}
		w := s.word(i)
		if !(isCap(w) || isUpperWord(w) && len(w) >= 3) || s.isName[i] {
			continue
		}
		if lw := s.lowerTok(i); titleCues[lw] || roleCues[lw] || suffixCues[lw] || s.eponymAt(i) {
			continue
		}
		p := s.prevWord(i, ",")
		if p < 0 || p != i-1 {
			continue
		}
		prev := s.lowerAt(p)
		if !weakPlaceCues[prev] && prev != "attends" {
			continue
		}
		if lowerText == "" {
			lowerText = strings.ToLower(s.text)
		}
		strong := false
		for _, cue := range strongPlaceCues {
			st := s.toks[p].end - len(cue)
			if st >= 0 && lowerText[st:s.toks[p].end] == cue && (st == 0 || lowerText[st-1] == ' ' || lowerText[st-1] == '\n') {
				strong = true
				break
			}
		}
		// Longest run of capitalised words (a city can be "Salt Lake City").
		end, last := t.end, i
		for k := i + 1; k < n && k-i < 4; k++ {
			wk := s.word(k)
			if s.toks[k].kind != tWord || s.toks[k].newline || !isCap(wk) || s.classAt(k)&wClinical != 0 {
				break
			}
			end, last = s.toks[k].end, k
		}
		phrase := strings.ToLower(s.text[t.start:end])
		c := s.classAt(i)
		if c&wClinical != 0 {
			continue
		}
		english := c&wEnglish != 0
		lw := s.lowerTok(i)
		multi := s.multiCity(phrase)
		isCity := c&wCity != 0 || multi || reStateName.MatchString(s.text[t.start:end])
		switch {
		case multi:
			s.add(t.start, end, Location)
		case strong && (!english || last > i || isCity):
			s.add(t.start, end, Location)
		case strong && isCap(w) && !s.toks[i].sentStart && !placeStop[lw] && !genericFacility[lw]:
			// "discharged to Kindred": after a strong cue a capitalised
			// word names the place even if it is also an English word.
			s.add(t.start, end, Location)
		case isCity && !english && prev != "of" && prev != "to":
			s.add(t.start, end, Location)
		case c&wCity != 0 && english && isCap(w) && !s.toks[i].sentStart && (prev == "in" || prev == "near" || prev == "from") && !placeStop[s.lowerTok(i)]:
			// A city that is also a word ("Revere", "Reading") needs a
			// capital in mid-sentence after "in", "near" or "from".
			s.add(t.start, end, Location)
		case isCity && !english && (prev == "of" || prev == "to") && last == i && c&(wFirst|wSurname) == 0:
			s.add(t.start, end, Location)
		}
	}
}

// placeStop: capitalised words after "in"/"from" that are city names but
// mostly mean something else in notes.
var placeStop = setOf("home", "bed", "chair", "room", "bath", "floor", "unit", "care", "rehab", "house", "hospital", "center", "clinic",
	"good", "stable", "fair", "pain", "distress", "place", "office", "general", "mobile", "normal", "progress", "process", "surgery",
	"court", "jail", "church", "school", "order", "time", "bay", "port", "harbor", "beach", "park", "lake", "river", "valley", "union",
	"liberty", "independence", "friendship", "comfort", "hope", "joy", "faith", "grace", "plain", "plains", "view", "reading",
	"medicine", "radiology", "cardiology", "neurology", "oncology", "psychiatry", "pathology", "endoscopy", "dialysis",
	"ortho", "orthopedics", "urology", "gynecology", "obstetrics", "pediatrics", "nephrology", "hematology", "dermatology",
	"ent", "pulmonary", "pulmonology", "gastroenterology", "anesthesia", "interventional", "cath", "lab", "imaging", "pharmacy",
	"the", "a", "his", "her", "their", "our", "my", "your", "this", "that", "outpatient", "inpatient", "telemetry", "tele",
	"step", "stepdown", "step-down", "observation", "obs", "triage", "waiting", "recovery", "holding", "preop", "pre-op",
	"postop", "post-op", "labor", "delivery", "nursery", "morgue", "hospice", "shelter", "skilled", "assisted", "long",
	"short", "acute", "subacute", "rehabilitation", "transitional", "respite", "adult", "day", "senior", "group", "foster")

// multiCity reports whether phrase starts with a multi-word city name.
func (s *scan) multiCity(phrase string) bool {
	i := strings.IndexByte(phrase, ' ')
	if i < 0 {
		return false
	}
	for _, c := range multiCities[phrase[:i]] {
		if strings.HasPrefix(phrase, c) && (len(phrase) == len(c) || phrase[len(c)] == ' ') {
			return true
		}
	}
	return false
}
