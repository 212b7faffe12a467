package refdata

// SearchCommunes finds communes and arrondissements by name or postcode for a type-ahead field:
// "saint-eti", "st etienne", "etienne", "750", "75011", "paris 11". See index.go for the match
// rule and the ranking (exact name, then names starting with the query, then larger population).
func (d *Data) SearchCommunes(query string, limit int) []Commune {
	ids := d.communeSearch.search(query, limit)
	out := make([]Commune, len(ids))
	for i, id := range ids {
		out[i] = d.communes[id].clone()
	}
	return out
}

// SearchAppellations finds job titles by the words of their label in any order ("patissier
// boulanger"), by ROME code or its prefix ("D1102", "d11") or by appellation code. Shorter
// labels rank first: the generic title before its variants.
func (d *Data) SearchAppellations(query string, limit int) []Appellation {
	ids := d.appellationSearch.search(query, limit)
	out := make([]Appellation, len(ids))
	for i, id := range ids {
		out[i] = d.appellations[id]
	}
	return out
}

// SearchRome finds ROME codes by the words of their label or by code prefix, with the same rule
// as SearchAppellations.
func (d *Data) SearchRome(query string, limit int) []Rome {
	ids := d.romeSearch.search(query, limit)
	out := make([]Rome, len(ids))
	for i, id := range ids {
		out[i] = d.romes[id]
	}
	return out
}
