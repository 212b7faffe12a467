package refdata

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// vincenty is Vincenty's inverse formula on the WGS84 ellipsoid (T. Vincenty, "Direct and
// inverse solutions of geodesics on the ellipsoid with application of nested equations",
// Survey Review XXIII, 1975), in kilometres. It is an independent reference for Distance: a
// different model of the Earth and a different computation, accurate to well under a metre.
func vincenty(lat1, lng1, lat2, lng2 float64) float64 {
	const (
		a = 6378137.0
		f = 1 / 298.257223563
		b = a * (1 - f)
	)
	rad := math.Pi / 180
	L := (lng2 - lng1) * rad
	U1 := math.Atan((1 - f) * math.Tan(lat1*rad))
	U2 := math.Atan((1 - f) * math.Tan(lat2*rad))
	sinU1, cosU1 := math.Sincos(U1)
	sinU2, cosU2 := math.Sincos(U2)
	λ := L
	var sinσ, cosσ, σ, cosSqα, cos2σm float64
	for range 200 {
		sinλ, cosλ := math.Sincos(λ)
		sinσ = math.Hypot(cosU2*sinλ, cosU1*sinU2-sinU1*cosU2*cosλ)
		if sinσ == 0 {
			return 0
		}
		cosσ = sinU1*sinU2 + cosU1*cosU2*cosλ
		σ = math.Atan2(sinσ, cosσ)
		sinα := cosU1 * cosU2 * sinλ / sinσ
		cosSqα = 1 - sinα*sinα
		cos2σm = 0
		if cosSqα != 0 {
			cos2σm = cosσ - 2*sinU1*sinU2/cosSqα
		}
		C := f / 16 * cosSqα * (4 + f*(4-3*cosSqα))
		prev := λ
		λ = L + (1-C)*f*sinα*(σ+C*sinσ*(cos2σm+C*cosσ*(-1+2*cos2σm*cos2σm)))
		if math.Abs(λ-prev) < 1e-12 {
			break
		}
	}
	uSq := cosSqα * (a*a - b*b) / (b * b)
	A := 1 + uSq/16384*(4096+uSq*(-768+uSq*(320-175*uSq)))
	B := uSq / 1024 * (256 + uSq*(-128+uSq*(74-47*uSq)))
	Δσ := B * sinσ * (cos2σm + B/4*(cosσ*(-1+2*cos2σm*cos2σm)-B/6*cos2σm*(-3+4*sinσ*sinσ)*(-3+4*cos2σm*cos2σm)))
	return b * A * (σ - Δσ) / 1000
}

func dms(d, m, s float64) float64 { return math.Copysign(math.Abs(d)+m/60+s/3600, d) }

// TestVincentyReference checks the reference itself on Geoscience Australia's published
// example, Flinders Peak to Buninyong: 54 972.271 m (GRS80, which differs from WGS84 by
// far less than the tolerance).
func TestVincentyReference(t *testing.T) {
	got := vincenty(dms(-37, 57, 3.72030), dms(144, 25, 29.52440), dms(-37, 39, 10.15610), dms(143, 55, 35.38390))
	if math.Abs(got-54.972271) > 0.001 {
		t.Fatalf("vincenty(Flinders Peak, Buninyong) = %.6f km, want 54.972271", got)
	}
}

func TestDistanceBetweenCommunes(t *testing.T) {
	d := testData(t)
	cases := []struct {
		from, to string
		// approx is a rounded figure quoted for the pair; Paris, Lyon and Marseille are the
		// population-weighted centres of their arrondissements (see LoadFS).
		approx float64
	}{
		{"75056", "13055", 660.5},
		{"69123", "59350", 558},
		{"29019", "67482", 0}, // Brest – Strasbourg, across the country
		{"06088", "33063", 0}, // Nice – Bordeaux
		{"97411", "97416", 0}, // Saint-Denis – Saint-Pierre, La Réunion, southern hemisphere
		{"75101", "75120", 0}, // two Paris arrondissements, a few kilometres
		{"2A004", "2B033", 0}, // Ajaccio – Bastia
	}
	for _, tc := range cases {
		a, okA := d.Commune(tc.from)
		b, okB := d.Commune(tc.to)
		if !okA || !okB || !a.HasCoords || !b.HasCoords {
			t.Fatalf("%s or %s missing or without coordinates", tc.from, tc.to)
		}
		got := Distance(a.Lat, a.Lng, b.Lat, b.Lng)
		want := vincenty(a.Lat, a.Lng, b.Lat, b.Lng)
		if math.Abs(got-want) > 0.005*want {
			t.Errorf("Distance(%s %s, %s %s) = %.2f km, Vincenty %.2f km: off by more than 0.5 %%", a.Code, a.Name, b.Code, b.Name, got, want)
		}
		if tc.approx > 0 && math.Abs(got-tc.approx) > 0.005*tc.approx {
			t.Errorf("Distance(%s, %s) = %.2f km, want about %.1f", a.Name, b.Name, got, tc.approx)
		}
		if back := Distance(b.Lat, b.Lng, a.Lat, a.Lng); back != got {
			t.Errorf("Distance not symmetric: %v and %v", got, back)
		}
		t.Logf("%s %s – %s %s: haversine %.3f km, Vincenty %.3f km", a.Code, a.Name, b.Code, b.Name, got, want)
	}
}

func TestDistanceEdges(t *testing.T) {
	if got := Distance(45, 4, 45, 4); got != 0 {
		t.Errorf("Distance to itself = %v", got)
	}
	if got, want := Distance(0, 0, 0, 180), math.Pi*EarthRadiusKm; math.Abs(got-want) > 1e-9 {
		t.Errorf("antipodes: %v, want %v", got, want)
	}
	if got, want := Distance(90, 0, -90, 0), math.Pi*EarthRadiusKm; math.Abs(got-want) > 1e-9 {
		t.Errorf("pole to pole: %v, want %v", got, want)
	}
	// One degree of longitude on the equator.
	if got, want := Distance(0, 0, 0, 1), EarthRadiusKm*math.Pi/180; math.Abs(got-want) > 1e-9 {
		t.Errorf("one degree: %v, want %v", got, want)
	}
}

// destination is the point at distance km along the initial bearing (degrees) from (lat, lng),
// on the same sphere as Distance.
func destination(lat, lng, bearing, km float64) (float64, float64) {
	rad := math.Pi / 180
	δ := km / EarthRadiusKm
	φ1, λ1, θ := lat*rad, lng*rad, bearing*rad
	φ2 := math.Asin(math.Sin(φ1)*math.Cos(δ) + math.Cos(φ1)*math.Sin(δ)*math.Cos(θ))
	λ2 := λ1 + math.Atan2(math.Sin(θ)*math.Sin(δ)*math.Cos(φ1), math.Cos(δ)-math.Sin(φ1)*math.Sin(φ2))
	lng2 := math.Mod(λ2/rad+540, 360) - 180
	return φ2 / rad, lng2
}

func TestBoundingBoxHoldsTheCircle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lat := rapid.Float64Range(-90, 90).Draw(t, "lat")
		lng := rapid.Float64Range(-180, 180).Draw(t, "lng")
		radius := rapid.Float64Range(0, 5000).Draw(t, "radius")
		box := BoundingBox(lat, lng, radius)
		if !box.Contains(lat, lng) {
			t.Fatalf("box %+v misses its centre", box)
		}
		// A point in the disc, possibly on its edge (frac = 1)…
		bearing := rapid.Float64Range(0, 360).Draw(t, "bearing")
		frac := rapid.Float64Range(0, 1).Draw(t, "frac")
		plat, plng := destination(lat, lng, bearing, frac*radius)
		if Distance(lat, lng, plat, plng) <= radius && !box.Contains(plat, plng) {
			t.Fatalf("point %v,%v at %.9f km (radius %v) outside box %+v", plat, plng, Distance(lat, lng, plat, plng), radius, box)
		}
		// …and any point of the globe that happens to be within the radius.
		qlat := rapid.Float64Range(-90, 90).Draw(t, "qlat")
		qlng := rapid.Float64Range(-180, 180).Draw(t, "qlng")
		if Distance(lat, lng, qlat, qlng) <= radius && !box.Contains(qlat, qlng) {
			t.Fatalf("point %v,%v within %v km outside box %+v", qlat, qlng, radius, box)
		}
	})
}

// The box should also be tight, or the SQL pre-filter would let through needless rows: its
// latitude edges are the circle's northern and southern points.
func TestBoundingBoxIsTight(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lat := rapid.Float64Range(-60, 60).Draw(t, "lat")
		lng := rapid.Float64Range(-170, 170).Draw(t, "lng")
		radius := rapid.Float64Range(0.1, 500).Draw(t, "radius")
		box := BoundingBox(lat, lng, radius)
		north, _ := destination(lat, lng, 0, radius)
		south, _ := destination(lat, lng, 180, radius)
		if math.Abs(box.MaxLat-north) > 1e-6 || math.Abs(box.MinLat-south) > 1e-6 {
			t.Fatalf("latitudes %v..%v, circle reaches %v..%v", box.MinLat, box.MaxLat, south, north)
		}
		// Some point of the circle touches the eastern edge: scan bearings finely.
		east := -math.MaxFloat64
		for b := 0.0; b < 180; b += 0.01 {
			_, l := destination(lat, lng, b, radius)
			east = max(east, l)
		}
		if box.MaxLng < east || box.MaxLng-east > 1e-4 {
			t.Fatalf("MaxLng %v, circle reaches %v", box.MaxLng, east)
		}
	})
}

func TestBoundingBoxEdges(t *testing.T) {
	if b := BoundingBox(89.5, 10, 100); b.MinLng != -180 || b.MaxLng != 180 || b.MaxLat != 90 {
		t.Errorf("circle over the North Pole: %+v", b)
	}
	if b := BoundingBox(0, 179.9, 50); b.MinLng != -180 || b.MaxLng != 180 {
		t.Errorf("circle across the antimeridian: %+v", b)
	}
	if b := BoundingBox(45, 4, -3); !b.Contains(45, 4) || b.MaxLat-b.MinLat > 1e-8 {
		t.Errorf("negative radius: %+v", b)
	}
	if b := BoundingBox(45, 4, 30000); b.MinLat != -90 || b.MaxLat != 90 || b.MinLng != -180 || b.MaxLng != 180 {
		t.Errorf("radius beyond the globe: %+v", b)
	}
}
