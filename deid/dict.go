package deid

import (
	_ "embed"
	"strings"
	"sync"
)

// The word lists are plain text, one entry per line; dict/README.md gives
// their sources and licences.
var (
	//go:embed dict/first_names.txt
	firstNamesTxt string
	//go:embed dict/people_names.txt
	peopleNamesTxt string
	//go:embed dict/english.txt
	englishTxt string
	//go:embed dict/us_cities.txt
	citiesTxt string
	//go:embed dict/clinical.txt
	clinicalTxt string
	//go:embed dict/name_words.txt
	nameWordsTxt string
	//go:embed dict/english_first.txt
	englishFirstTxt string
)

// Word classes, a bit set per lower-cased word.
const (
	wFirst      = 1 << iota // a first name
	wSurname                // a surname or other person name
	wEnglish                // a common English word (ambiguous as a name)
	wCity                   // a US city name (single-word entries and first words)
	wClinical               // clinical vocabulary, eponym, drug or abbreviation: never PHI without a strong cue
	wNameWord               // an English word that is also a very common surname/first name ("Smith", "Brown")
	wAnyEnglish             // in the English list at all, even if a first name ("Born", "John")
)

var (
	dictOnce sync.Once
	words    map[string]uint8
	// cities holds multi-word city names ("new york", "salt lake city")
	// keyed by their first word, for longest-match lookup.
	multiCities map[string][]string
)

func loadDicts() {
	dictOnce.Do(func() {
		words = make(map[string]uint8, 110000)
		multiCities = make(map[string][]string)
		add := func(txt string, bit uint8) {
			for _, line := range strings.Split(txt, "\n") {
				line = strings.TrimSpace(line)
				if line == "" || line[0] == '#' {
					continue
				}
				words[strings.ToLower(line)] |= bit
			}
		}
		add(firstNamesTxt, wFirst)
		add(peopleNamesTxt, wSurname)
		add(englishTxt, wEnglish|wAnyEnglish)
		add(clinicalTxt, wClinical)
		add(nameWordsTxt, wNameWord)
		// The English list is large (it has "john", "mary" as nouns);
		// a first name counts as an English word only if it is also a
		// common one ("bill", "hope", "will").
		commonFirst := map[string]bool{}
		for _, line := range strings.Split(englishFirstTxt, "\n") {
			if line != "" && line[0] != '#' {
				commonFirst[line] = true
			}
		}
		for w, b := range words {
			if b&wFirst != 0 && b&wEnglish != 0 && !commonFirst[w] {
				words[w] = b &^ wEnglish
			}
		}
		for _, line := range strings.Split(citiesTxt, "\n") {
			c := strings.ToLower(strings.TrimSpace(line))
			if c == "" {
				continue
			}
			if i := strings.IndexByte(c, ' '); i > 0 {
				multiCities[c[:i]] = append(multiCities[c[:i]], c)
				continue
			}
			words[c] |= wCity
		}
	})
}

// class returns the word-class bits of a word (any case).
func class(w string) uint8 {
	if b, ok := words[w]; ok {
		return b
	}
	return words[strings.ToLower(w)]
}
