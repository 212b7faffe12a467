package support

// The plan's and the aids' columns of the statistical extract, and their indicators (D5312-50
// 5°: plans up to date, aids granted and paid by type and funder). A person counts once in each
// column where they appear: a person with two aids of two funders counts under both, so a
// row's total of these tables counts (person, value) pairs, not people.

// Aid states the indicators count: granted (granted, in a batch, or paid) and paid.
const (
	aidGrantedStates = `'granted', 'ordered', 'paid'`
)

var (
	// FactPlan: the plan is up to date (nothing overdue today), late, or absent. $1 is today.
	FactPlan = Fact{Column: "plan", Label: "Plan d'accompagnement", Default: "sans_plan",
		Query: `SELECT v.record_id, CASE WHEN EXISTS (SELECT 1 FROM support_plan_due d
				WHERE d.record_id = v.record_id AND NOT d.settled AND d.due_on < $1) THEN 'en_retard' ELSE 'a_jour' END
			FROM (SELECT DISTINCT record_id FROM support_plan_versions) v`,
		Labels: []Option{{"a_jour", "Plan à jour"}, {"en_retard", "Plan en retard"}, {"sans_plan", "Sans plan"}}}
	// FactAidFunder: for each aid granted, its funder and whether it was paid.
	FactAidFunder = Fact{Column: "aides_financeur", Label: "Aides accordées et payées par financeur", Default: "aucune",
		Query: `SELECT record_id, funder || ':accordee' FROM support_aids WHERE state IN (` + aidGrantedStates + `)
			UNION ALL SELECT record_id, funder || ':payee' FROM support_aids WHERE state = 'paid'`,
		Labels: funderStateLabels()}
	// FactAidType: the types of the aids granted.
	FactAidType = Fact{Column: "aides_type", Label: "Aides accordées par type", Default: "aucune",
		Query:  `SELECT DISTINCT record_id, aid_code FROM support_aids WHERE state IN (` + aidGrantedStates + `)`,
		Labels: aidTypeLabels()}
)

func funderStateLabels() []Option {
	var out []Option
	for _, f := range Funders {
		out = append(out, Option{f.Code + ":accordee", f.Label + " : accordées"}, Option{f.Code + ":payee", f.Label + " : payées"})
	}
	return append(out, Option{"aucune", "Aucune aide accordée"})
}

func aidTypeLabels() []Option {
	var out []Option
	for _, a := range MustCatalogue().Aids {
		out = append(out, Option{a.Code, a.Label})
	}
	return append(out, Option{"aucune", "Aucune aide accordée"})
}

func init() {
	Facts = append(Facts, FactPlan, FactAidFunder, FactAidType)
	Indicators = append(Indicators,
		Indicator{"organisation_plan", "Personnes accompagnées par organisation et état de leur plan", ByOrganisation, FactDimension(FactPlan)},
		Indicator{"organisation_aides_financeur", "Personnes ayant des aides accordées ou payées, par organisation et financeur", ByOrganisation, FactDimension(FactAidFunder)},
		Indicator{"departement_aides_type", "Personnes ayant des aides accordées, par département et type d'aide", ByDepartement, FactDimension(FactAidType)},
	)
}
