package deid

import (
	"strings"
)

// Cue words before a name, lower-cased. Titles are strong: whatever
// word follows is a name. Relations and roles are medium: a capitalised
// word or a known first name follows. Verbs of contact are weak: only a
// capitalised word that is not English, not clinical.
var (
	titleCues = setOf("mr", "mrs", "ms", "miss", "mx", "dr", "drs", "doctor", "prof", "professor", "rev", "reverend", "atty", "attorney", "fr", "sister", "nurse", "mister", "madam", "dear")
	roleCues  = setOf("wife", "husband", "son", "daughter", "mother", "mom", "father", "dad", "sister", "brother", "sibling", "friend",
		"neighbor", "neighbour", "niece", "nephew", "grandson", "granddaughter", "grandmother", "grandfather", "grandma", "grandpa",
		"aunt", "uncle", "cousin", "partner", "boyfriend", "girlfriend", "fiance", "fiancee", "spouse", "hcp", "proxy", "guardian",
		"caregiver", "pcp", "attending", "resident", "fellow", "intern", "np", "pa", "rn", "md", "lpn", "cna", "rt", "surgeon",
		"cardiologist", "oncologist", "neurologist", "nephrologist", "physician", "provider", "therapist", "sw", "cm", "named",
		"name", "patient", "pt", "pts", "mrs", "ms", "stepson", "stepdaughter", "son-in-law", "daughter-in-law", "children", "kids",
		"hi", "hello", "thanks", "cc", "handoff", "dtr", "dau", "sis", "bro", "hubby", "gf", "bf", "sil", "dil", "gdtr", "nok", "stepmother", "stepfather", "godson", "goddaughter", "atty", "attorney", "lawyer", "signed", "dictated", "transcribed", "author", "electronically", "by", "per", "d/w", "s/w", "w/",
		"called", "paged", "notified", "informed", "spoke", "discussed", "seen", "contacted", "visited", "visit", "accompanied", "family",
		"roommate", "landlord", "employer", "coworker", "colleague", "bro", "sis", "ex-wife", "ex-husband", "chaplain", "interpreter",
		"translator", "team", "covering", "cover", "on-call", "endorsed", "handoff", "report", "relieved", "mrn")
	// weakRole cues only admit non-English, non-clinical capitalised words.
	weakCues = setOf("by", "per", "d/w", "s/w", "w/", "called", "paged", "notified", "informed", "spoke", "discussed", "seen",
		"contacted", "visited", "visit", "accompanied", "family", "team", "covering", "cover", "endorsed", "handoff", "report",
		"relieved", "cc", "signed", "dictated", "transcribed", "author", "electronically", "patient", "pt", "pts", "hi", "hello",
		"thanks", "name", "named", "mrn", "children", "kids")
	// Credentials after a name: "Jane Doe, RN".
	suffixCues = setOf("md", "rn", "np", "pa", "pa-c", "do", "phd", "lpn", "cna", "bsn", "msn", "rrt", "pharmd", "lcsw", "msw", "dds", "dpm", "crna", "aprn", "fnp", "anp", "acnp", "dnp", "mph", "facp", "facc", "facs", "jr", "sr", "ii", "iii", "iv")
)

func setOf(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

var modalWords = setOf("will", "may", "might", "can", "shall", "should", "must", "would", "could", "also", "then", "just", "says", "said", "went", "came")

var greetings = setOf("hi", "hello", "hey", "thanks", "thank", "bye", "goodbye", "morning", "afternoon", "evening", "welcome", "congratulations", "sorry")

// contactVerbs take a person after "with"/"to": "spoke with X".
var contactVerbs = setOf("spoke", "speak", "talked", "talk", "report", "reported", "handoff", "endorsed", "discussed",
	"met", "signed", "turned", "passed", "introduced", "gave", "given", "d/w", "s/w", "reviewed", "explained", "updated",
	"called", "message", "msg", "emailed", "texted", "wife", "husband", "married", "lives", "living", "stays", "staying")

// drugLike: common drug-name endings, so "switched to Xopenex" is not read
// as a person after a contact verb.
func drugLike(lw string) bool {
	for _, suf := range []string{"ol", "il", "ide", "ine", "one", "ate", "pam", "lam", "pine", "mab", "nib", "cin", "cillin",
		"mycin", "azole", "statin", "pril", "sartan", "olol", "dipine", "xaban", "parin", "prazole", "tidine", "triptan",
		"afil", "ex", "ix", "yl", "in", "ax", "ox", "ec", "ac", "um", "en"} {
		if strings.HasSuffix(lw, suf) {
			return true
		}
	}
	return false
}

// eponymHeads follow a person's name used as a medical term: "Wilms
// tumor", "Kawasaki disease", "Smith's fracture".
var eponymHeads = setOf("disease", "diseases", "syndrome", "syndromes", "sign", "signs", "test", "tests", "maneuver", "manoeuvre",
	"criteria", "score", "scores", "scale", "triad", "tetrad", "pentad", "tumor", "tumour", "sarcoma", "lymphoma", "palsy",
	"phenomenon", "reflex", "classification", "fracture", "procedure", "operation", "catheter", "tube", "drain",
	"stocking", "stockings", "position", "law", "equation", "formula", "node", "nodes", "ulcer", "cyst", "nodule", "nodules",
	"disorder", "anomaly", "malformation", "deformity", "contracture", "neuroma", "neuralgia", "encephalopathy",
	"dementia", "ataxia", "dystrophy", "thyroiditis", "angina", "esophagus", "diverticulum", "lines", "line", "bodies",
	"body", "cells", "cell", "point", "incision", "repair", "fundoplication", "shunt", "filter", "clamp", "forceps",
	"retractor", "mask", "bag", "valve", "rule", "rules", "index", "method", "technique", "approach", "stage", "staging",
	"grade", "grading", "type", "lesion", "lesions", "spots", "nodes", "murmur", "respirations", "breathing", "sarcoidosis",
	"hernia", "pouch", "space", "duct", "ligament", "canal", "gland", "glands", "fascia", "membrane", "triangle",
	"amaurosis", "purpura", "anemia", "deficiency", "dysplasia", "dystonia", "myopathy", "epilepsy", "seizures", "fever",
	"virus", "infection", "carcinoma", "cancer", "leukemia", "anomalies", "complex", "association", "sequence", "spectrum",
	"variant", "gene", "protein", "mutation", "receptor", "factor", "antigen", "antibody", "chorea", "myoclonus", "tremor",
	"neuropathy", "atrophy", "paralysis", "ulcerative", "agenesis", "dysgenesis", "microcephaly", "dwarfism", "chondrodysplasia",
	"ichthyosis", "keratoderma", "dermatosis", "hemiplegia", "aneurysm", "malformations", "anomaly", "defect", "defects",
	"sclerosis", "grid", "dysautonomia", "vitiligo", "hyperplasia", "hypoplasia", "aplasia", "ataxia", "syndrome-related")

var functionWords = setOf("had", "has", "have", "is", "was", "are", "were", "be", "been", "will", "would", "can", "could",
	"did", "does", "do", "any", "the", "a", "an", "and", "or", "of", "to", "with", "for", "on", "in", "at", "his", "her",
	"their", "my", "your", "our", "no", "not", "who", "which", "that", "this", "says", "said", "reports", "denies", "states",
	"called", "came", "got", "gets", "takes", "took", "needs", "wants", "feels", "i", "we", "you", "he", "she", "they")

// eponymAt: word i is followed by an eponym head ("Kawasaki disease",
// "Smith's fracture").
func (s *scan) eponymAt(i int) bool {
	j := i + 1
	if j < len(s.toks) && s.toks[j].kind == tPunct && (s.word(j) == "'" || s.word(j) == "’") {
		j++
	}
	// "Kawasaki disease", "Guillain Barre syndrome", "Morse fall score";
	// not across a function word ("karen had any seizures").
	for k := 0; k < 3 && j < len(s.toks) && s.toks[j].kind == tWord && !s.toks[j].newline; k++ {
		lj := s.lowerTok(j)
		if eponymHeads[lj] || medicalSuffix(lj) {
			return true
		}
		if functionWords[lj] {
			return false
		}
		j++
	}
	return false
}

// wordClass looks a word up whole and, for hyphenated words, by part;
// words with a medical suffix ("-itis", "-emia") count as clinical.
func wordClass(w string) uint8 {
	lw := baseWord(w)
	c := class(lw)
	if c == 0 && strings.IndexByte(lw, '-') > 0 {
		parts := strings.Split(lw, "-")
		allNames := true
		for _, p := range parts {
			pc := class(p)
			if pc&wClinical != 0 || medicalSuffix(p) {
				return wClinical
			}
			if pc&(wFirst|wSurname) == 0 {
				allNames = false
			}
			c |= pc
		}
		if !allNames {
			// "X-linked", "Alpha-thalassemia": not a double-barrelled name.
			c &^= wFirst | wSurname | wNameWord
			if c&wEnglish == 0 && c&wAnyEnglish != 0 {
				c |= wEnglish
			}
		}
	}
	if c == 0 && medicalSuffix(lw) {
		return wClinical
	}
	return c
}

// medicalSuffix: endings that mark a medical term, never a name.
func medicalSuffix(lw string) bool {
	if len(lw) < 6 {
		return false
	}
	for _, suf := range []string{"itis", "osis", "emia", "aemia", "pathy", "plasia", "trophy", "uria", "algia", "penia",
		"penic", "megaly", "rrhea", "rrhoea", "rrhage", "plegia", "paresis", "cephaly", "dactyly", "phasia", "kinesia",
		"tonia", "ectomy", "otomy", "ostomy", "plasty", "scopy", "graphy", "cytosis", "lysis", "genic", "oma", "omas",
		"emic", "otic", "uric", "iasis", "ism", "philia", "phobia", "trophic", "plastic", "cytic", "ocele", "ectasia"} {
		if strings.HasSuffix(lw, suf) {
			return true
		}
	}
	return false
}

// initial reports a single capital letter ("J" or "J." is checked by the caller).
func initial(w string) bool {
	return len(w) == 1 && w[0] >= 'A' && w[0] <= 'Z'
}

// names marks person names: cue-led, dictionary-led, credential-led, then
// extends each name over neighbouring capitalised words and initials.
func (s *scan) names() {
	n := len(s.toks)
	for i := 0; i < n; i++ {
		if s.toks[i].kind != tWord || s.isName[i] {
			continue
		}
		w := s.word(i)
		if s.nameAt(i, w) {
			s.isName[i] = true
		}
	}
	s.credentialNames()
	// Extend: neighbours of a name that look like name parts.
	for changed := true; changed; {
		changed = false
		for i := 0; i < n; i++ {
			if s.isName[i] || s.toks[i].kind != tWord {
				continue
			}
			if s.nameNeighbour(i) {
				s.isName[i] = true
				changed = true
			}
		}
	}
	s.emitNames()
}

// nameAt decides a word on its own and its left context; a word used as
// an eponym ("Kawasaki disease") is no name unless a title precedes it.
func (s *scan) nameAt(i int, w string) bool {
	if !s.nameRule(i, w) {
		return false
	}
	if p := s.prevWord(i, "."); p >= 0 && titleCues[s.lowerAt(p)] {
		return true
	}
	return !s.eponymAt(i)
}

func (s *scan) nameRule(i int, w string) bool {
	c := s.classAt(i)
	cap, upper, lower := isCap(w), isUpperWord(w), isLowerWord(w)
	p := s.prevWord(i, ".,:'’")
	if p >= 0 && s.punctAt(i-1, "'") {
		p = -1
	}
	prev := s.lowerAt(p)
	// Titles: "Dr. Graves" is a person even though Graves is an eponym.
	// Abbreviated titles take a dot; spelled-out ones ("doctor", "miss")
	// must come right before the name and not before a plain word
	// ("Good morning, doctor. Yes").
	abbrevTitle := titleCues[prev] && dotAbbrevs[prev] && (p == i-1 || p == i-2 && s.punctAt(i-1, "."))
	if abbrevTitle && p > 0 && s.toks[p-1].kind == tNum {
		abbrevTitle = false // "5 Fr double lumen": a catheter size
	}
	wordTitle := titleCues[prev] && !dotAbbrevs[prev] && p == i-1 && !(c&wEnglish != 0 && c&(wFirst|wSurname|wNameWord) == 0)
	if abbrevTitle || wordTitle {
		if cap || upper {
			return true
		}
		if abbrevTitle && lower && s.noUpper && c&(wFirst|wSurname|wNameWord) != 0 && c&wClinical == 0 {
			return true // "mr . ward" in a lower-case transcript
		}
		if lower && c&(wFirst|wSurname) != 0 && c&wEnglish == 0 {
			return true
		}
	}
	lw := s.lowerTok(i)
	if c&wClinical != 0 || roleCues[lw] || titleCues[lw] || suffixCues[lw] || facilityWords[lw] {
		return false
	}
	nameDict := c&(wFirst|wSurname) != 0
	english := c&wEnglish != 0
	if len(w) < 2 {
		return false
	}
	if isContraction(lw) {
		return false
	}
	// A word glued to digits is a code or gene symbol ("MECP2", "ALG6").
	if i+1 < len(s.toks) && s.toks[i+1].kind == tNum && s.toks[i+1].start == s.toks[i].end {
		return false
	}
	// "her name is Rosa", "son's name was Ivo".
	if (prev == "is" || prev == "was") && p > 0 && s.lowerAt(s.prevWord(p, "")) == "name" && !english && (cap || upper || nameDict) {
		return true
	}
	// "hi, maria", "thanks Joe": a first name after a greeting.
	if greetings[prev] && c&wFirst != 0 && !functionWords[lw] && len(w) >= 3 {
		return true
	}
	// "spoke with X", "report to X": a contact verb two words back.
	if (prev == "with" || prev == "to" || prev == "and") && p > 0 {
		if pp := s.prevWord(p, ",'"); contactVerbs[s.lowerAt(pp)] && (cap || upper || lower && c&wFirst != 0) && !english && !drugLike(lw) {
			return true
		}
	}
	// Relation and role cues do not reach across a sentence end
	// ("... the patient. He ..."); only titles keep their dot.
	if roleCues[prev] && s.toks[i].sentStart && s.prevWord(i, ",:'’") != p {
		prev = ""
	}
	if roleCues[prev] {
		weak := weakCues[prev]
		switch {
		case (cap || upper) && !english && (!weak || nameDict || !s.toks[i].sentStart):
			return true
		case cap && (nameDict || c&wNameWord != 0) && !weak:
			return true
		case lower && nameDict && !english && (!weak || len(w) >= 4):
			return true
		}
	}
	return s.dictName(i, w, c)
}

// isContraction: "i'm", "we'll", "don't".
func isContraction(lw string) bool {
	if k := strings.IndexAny(lw, "'’"); k > 0 {
		switch strings.TrimLeft(lw[k:], "'’") {
		case "m", "ve", "ll", "d", "re", "t":
			return true
		}
	}
	return false
}

// dictName decides a word without a cue, from the dictionaries and its
// case: a known name that is not an English word, a common surname
// capitalised in mid-sentence, lower-case names in capital-free text.
func (s *scan) dictName(i int, w string, c uint8) bool {
	cap, upper, lower := isCap(w), isUpperWord(w), isLowerWord(w)
	nameDict := c&(wFirst|wSurname) != 0
	english := c&wEnglish != 0
	if cap && nameDict && !english && len(w) >= 3 && (!s.toks[i].sentStart || c&wAnyEnglish == 0) {
		return true
	}
	if cap && c&wNameWord != 0 && !s.toks[i].sentStart {
		return true
	}
	// In text without capitals (queries), a longer dictionary name that
	// is not an English word is taken as it stands.
	if s.noUpper && lower && nameDict && !english && len(w) >= 4 {
		return true
	}
	// "john kowalski" in mixed-case text: a first name followed by a
	// surname, both lower-case and neither an English word.
	if lower && c&wFirst != 0 && !english && len(w) >= 4 && i+1 < len(s.toks) && s.toks[i+1].kind == tWord && !s.toks[i+1].newline {
		nc := s.classAt(i + 1)
		if nc&(wFirst|wSurname) != 0 && nc&(wEnglish|wClinical) == 0 && isLowerWord(s.word(i+1)) && len(s.word(i+1)) >= 4 {
			return true
		}
	}
	// All-caps words are abbreviations more often than names; take only
	// longer dictionary names.
	if upper && nameDict && !english && len(w) >= 4 {
		return true
	}
	return false
}

// credentialNames marks up to three capitalised words or initials before
// a credential ("Mary Jones, RN", "J. Smith MD", "Kim RN").
func (s *scan) credentialNames() {
	for i := range s.toks {
		if s.toks[i].kind != tWord || !suffixCues[s.lowerTok(i)] {
			continue
		}
		w := s.word(i)
		if !isUpperWord(w) && w != "PhD" && w != "PharmD" && w != "Jr" && w != "Sr" || w == "SR" || w == "JR" || w == "DO" || w == "II" || w == "IV" {
			continue // "SR" is sinus rhythm, "IV" a route, "DO" a verb in capitals
		}
		j := s.prevWord(i, ",")
		for k := 0; j >= 0 && k < 3; k++ {
			pw := s.word(j)
			c := s.classAt(j)
			if !(isCap(pw) || initial(pw) || (isUpperWord(pw) && len(pw) <= 3)) || c&wClinical != 0 || suffixCues[strings.ToLower(pw)] {
				break
			}
			if j > 0 && s.toks[j-1].kind == tNum && s.toks[j-1].end == s.toks[j].start {
				break // "70S": a unit glued to a number
			}
			if c&wEnglish != 0 && c&(wFirst|wSurname|wNameWord) == 0 {
				break
			}
			s.isName[j] = true
			j = s.prevWord(j, ".")
		}
	}
}

// nameNeighbour: an unmarked word next to a name that looks like part of it.
func (s *scan) nameNeighbour(i int) bool {
	w := s.word(i)
	c := s.classAt(i)
	lw := s.lowerTok(i)
	if c&wClinical != 0 || roleCues[lw] || titleCues[lw] || suffixCues[lw] || facilityWords[lw] || isContraction(lw) {
		return false
	}
	// Left and right neighbours, allowing "J." and "Smith, John".
	right := -1
	if i+1 < len(s.toks) && s.toks[i+1].kind == tWord && !s.toks[i+1].newline {
		right = i + 1
	} else if i+2 < len(s.toks) && s.punctAt(i+1, ".") && initial(w) && s.toks[i+2].kind == tWord && !s.toks[i+2].newline {
		right = i + 2
	}
	left := s.prevWord(i, ".")
	if left >= 0 && (s.toks[i].newline || s.toks[i].sentStart) {
		left = -1
	}
	leftComma := -1
	if i >= 2 && s.punctAt(i-1, ",") && s.toks[i-2].kind == tWord && !s.toks[i].newline {
		leftComma = i - 2
	}
	nextToName := (right >= 0 && s.isName[right]) || (left >= 0 && s.isName[left])
	rightComma := i+2 < len(s.toks) && s.punctAt(i+1, ",") && s.isName[i+2]
	if !nextToName && !(leftComma >= 0 && s.isName[leftComma]) && !rightComma {
		return false
	}
	nameDict := c&(wFirst|wSurname|wNameWord) != 0
	english := c&wEnglish != 0
	switch {
	case initial(w):
		// "J. Smith", "Smith J"; the pronoun "I" only with a dot; not
		// the letters of a credential ("M.D.", "R.N.").
		if s.punctAt(i+1, ".") && i+2 < len(s.toks) && s.toks[i+2].kind == tWord && initial(s.word(i+2)) &&
			suffixCues[strings.ToLower(w+s.word(i+2))] {
			return false
		}
		return w != "I" || s.punctAt(i+1, ".")
	case isCap(w) && nextToName && (nameDict || !english):
		return true
	case isUpperWord(w) && nextToName && nameDict && len(w) >= 3:
		return true
	case isLowerWord(w) && nextToName && c&(wFirst|wSurname) != 0 && !english && len(w) >= 3:
		return true
	case isLowerWord(w) && right >= 0 && s.isName[right] && c&wFirst != 0 && c&wClinical == 0 && len(w) >= 3 && !functionWords[lw]:
		// "grace ross": a first name that is also a word, before a surname.
		return true
	case isLowerWord(w) && left >= 0 && s.isName[left] && s.classAt(left)&wFirst != 0 && (c&wNameWord != 0 || c&wSurname != 0 && (!english || s.noUpper)) && len(w) >= 3 && !functionWords[lw] && !modalWords[lw]:
		// "christina cooper": a surname that is also a word, after a first name.
		return true
	case leftComma >= 0 && isCap(w) && c&wFirst != 0 && !english:
		// "Smith, John"
		return true
	case i+2 < len(s.toks) && s.punctAt(i+1, ",") && s.isName[i+2] && s.classAt(i+2)&wFirst != 0 &&
		c&(wSurname|wNameWord) != 0 && (isCap(w) || s.noUpper) && !functionWords[lw]:
		// "smith, john" in a query: the surname before a first name
		return true
	}
	return false
}

// emitNames turns runs of name tokens into spans: "John Q. Smith" is one
// span; an initial keeps its dot.
func (s *scan) emitNames() {
	for i := 0; i < len(s.toks); i++ {
		if !s.isName[i] {
			continue
		}
		start, end := s.toks[i].start, s.toks[i].end
		for {
			if i+1 < len(s.toks) && s.punctAt(i+1, ".") && initial(s.word(i)) {
				end = s.toks[i+1].end
				if i+2 < len(s.toks) && s.isName[i+2] && !s.toks[i+2].newline {
					i += 2
					end = s.toks[i].end
					continue
				}
				break
			}
			if i+1 < len(s.toks) && s.isName[i+1] && !s.toks[i+1].newline && strings.TrimSpace(s.text[end:s.toks[i+1].start]) == "" {
				i++
				end = s.toks[i].end
				continue
			}
			break
		}
		s.add(start, end, Name)
	}
}

// propagate marks every other occurrence of a name already found in the
// document ("Smith" after "Dr. Smith"), whatever its case or position.
func (s *scan) propagate() {
	seen := map[string]bool{}
	for i, t := range s.toks {
		if s.isName[i] && t.kind == tWord {
			w := baseWord(s.word(i))
			if len(w) >= 3 && s.classAt(i)&(wEnglish|wClinical) == 0 {
				seen[w] = true
			}
		}
	}
	if len(seen) == 0 {
		return
	}
	for i, t := range s.toks {
		if !s.isName[i] && t.kind == tWord && seen[baseWord(s.word(i))] && !s.eponymAt(i) {
			s.isName[i] = true
			s.add(t.start, t.end, Name)
		}
	}
}
