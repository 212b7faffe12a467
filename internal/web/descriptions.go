package web

// pageDescriptions are the pages' meta descriptions: what a search engine or a shared link
// shows under the page's title. Pages without one of their own get defaultDescription.
var pageDescriptions = map[string]string{
	"home":          "Parcours : trouver un employeur solidaire ou une offre d'emploi d'insertion près de chez soi, et l'accompagnement adapté des demandeurs d'emploi en situation de handicap.",
	"search":        "Rechercher les structures d'insertion par l'activité économique, leurs offres d'emploi et les organisations qui accompagnent vers l'emploi, autour d'une commune.",
	"structure":     "Présentation d'une structure d'insertion par l'activité économique : ses coordonnées, l'accompagnement qu'elle propose et ses fiches de poste.",
	"login":         "Se connecter à Parcours, la plateforme de l'inclusion dans l'emploi.",
	"signup":        "Créer un compte sur Parcours, en tant que candidat ou professionnel de l'insertion.",
	"signup_choice": "Créer un compte sur Parcours, en tant que candidat ou professionnel de l'insertion.",
	"dashboard":     "Le tableau de bord de votre compte Parcours : vos organisations, vos démarches et vos accès.",
	"accessibility": "Déclaration d'accessibilité de Parcours.",
	"legal":         "Mentions légales de Parcours.",
	"privacy":       "Données personnelles traitées par Parcours et droits des personnes.",
	"terms":         "Conditions générales d'utilisation de Parcours.",
	"forgot":        "Recevoir un lien pour choisir un nouveau mot de passe Parcours.",
}

const defaultDescription = "Parcours, la plateforme de l'inclusion dans l'emploi et de l'accompagnement adapté des demandeurs d'emploi en situation de handicap."

// pageDescription is a page's meta description.
func pageDescription(page string) string {
	if d, ok := pageDescriptions[page]; ok {
		return d
	}
	return defaultDescription
}
