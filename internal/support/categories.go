package support

import "slices"

// Option is one entry of a structured list: a stored code and its French label.
type Option struct {
	Code, Label string
}

func label(opts []Option, code string) string {
	if i := slices.IndexFunc(opts, func(o Option) bool { return o.Code == code }); i >= 0 {
		return opts[i].Label
	}
	return code
}

func known(opts []Option, code string) bool {
	return slices.ContainsFunc(opts, func(o Option) bool { return o.Code == code })
}

// The structured lists of the five categories of D5312-51. They name kinds of situation and
// needs, never a diagnosis or a treatment.
var (
	// DisabilityTypes: category 1, type of disability.
	DisabilityTypes = []Option{
		{"motor", "Moteur"},
		{"visual", "Sensoriel — visuel"},
		{"hearing", "Sensoriel — auditif"},
		{"mental", "Mental"},
		{"psychic", "Psychique"},
		{"cognitive", "Cognitif"},
		{"chronic", "Maladie chronique invalidante"},
		{"multiple", "Pluri-handicap"},
	}
	// DisabilityOrigins: category 1, origin of the disability.
	DisabilityOrigins = []Option{
		{"birth", "De naissance"},
		{"illness", "Survenu à la suite d'une maladie"},
		{"work_accident", "Accident du travail ou maladie professionnelle"},
		{"other_accident", "Autre accident"},
		{"unknown", "Non précisée"},
	}
	// CompensationNeeds: category 2, compensation needs (CASF L114-1-1).
	CompensationNeeds = []Option{
		{"workstation", "Aménagement du poste de travail"},
		{"technical_aid", "Aide technique"},
		{"human_aid", "Aide humaine"},
		{"working_time", "Aménagement du temps de travail"},
		{"transport", "Transport et mobilité"},
		{"communication", "Aide à la communication"},
		{"training", "Formation adaptée"},
	}
	// Limitations: category 4, functional restrictions.
	Limitations = []Option{
		{"standing", "Station debout prolongée"},
		{"loads", "Port de charges"},
		{"posture", "Postures contraignantes"},
		{"repetitive", "Gestes répétitifs"},
		{"fine_motor", "Motricité fine"},
		{"walking", "Déplacements à pied"},
		{"driving", "Conduite de véhicule"},
		{"vision", "Tâches exigeant une vision fine"},
		{"hearing", "Environnement bruyant ou communication orale"},
		{"stress", "Pression temporelle, stress"},
		{"concentration", "Concentration prolongée"},
		{"night", "Travail de nuit ou horaires décalés"},
		{"public", "Contact avec le public"},
	}
	// BOETHCategories: category 5, the title that makes the person a beneficiary of the
	// employment obligation (Code du travail L5212-13).
	BOETHCategories = []Option{
		{"rqth", "Reconnaissance de la qualité de travailleur handicapé (RQTH)"},
		{"work_accident", "Victime d'accident du travail ou de maladie professionnelle (incapacité d'au moins 10 % et rente)"},
		{"invalidity", "Titulaire d'une pension d'invalidité"},
		{"aah", "Titulaire de l'allocation aux adultes handicapés (AAH)"},
		{"cmi", "Titulaire de la carte mobilité inclusion mention « invalidité »"},
		{"military", "Pensionné de guerre ou assimilé"},
		{"firefighter", "Sapeur-pompier volontaire titulaire d'une allocation d'invalidité"},
	}
	// ClosingReasons: why the support ended.
	ClosingReasons = []Option{
		{"employment", "Accès à l'emploi"},
		{"training", "Entrée en formation"},
		{"orientation", "Orientation vers une autre structure"},
		{"moved", "Déménagement"},
		{"abandoned", "Fin à l'initiative de la personne"},
		{"other", "Autre motif"},
	}
)

// BOETHLabel is the French name of a BOETH category code.
func BOETHLabel(code string) string { return label(BOETHCategories, code) }

// ClosingLabel is the French name of a closing reason.
func ClosingLabel(code string) string { return label(ClosingReasons, code) }

// Labels turns codes of a list into their labels.
func Labels(opts []Option, codes []string) []string {
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		out = append(out, label(opts, c))
	}
	return out
}
