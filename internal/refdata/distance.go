package refdata

import "math"

// EarthRadiusKm is the IUGG mean Earth radius. A sphere of this radius is within about 0.5 % of
// the ellipsoid everywhere, far better than "as the crow flies" needs for a job search radius.
const EarthRadiusKm = 6371.0088

// Distance returns the great-circle distance in kilometres between two points given in degrees,
// by the haversine formula, which stays accurate for the short distances that matter most here
// (the spherical law of cosines loses precision under a kilometre).
func Distance(lat1, lng1, lat2, lng2 float64) float64 {
	φ1, φ2 := lat1*math.Pi/180, lat2*math.Pi/180
	dφ := φ2 - φ1
	dλ := (lng2 - lng1) * math.Pi / 180
	h := sinSq(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*sinSq(dλ/2)
	// Rounding can push h a hair above 1 for antipodal points, where Asin would return NaN.
	return 2 * EarthRadiusKm * math.Asin(math.Sqrt(min(1, max(0, h))))
}

func sinSq(x float64) float64 {
	s := math.Sin(x)
	return s * s
}

// Box is a latitude/longitude rectangle, in degrees.
type Box struct {
	MinLat, MaxLat, MinLng, MaxLng float64
}

// Contains reports whether the point is inside the box, edges included.
func (b Box) Contains(lat, lng float64) bool {
	return lat >= b.MinLat && lat <= b.MaxLat && lng >= b.MinLng && lng <= b.MaxLng
}

// boxMargin widens boxes by about a tenth of a millimetre so that rounding never excludes a
// point lying exactly on the circle.
const boxMargin = 1e-9

// BoundingBox returns a box holding every point within radiusKm of (lat, lng). SQL uses it to
// pre-filter rows with plain comparisons on indexed lat and lng columns, and computes the exact
// Distance only for the few rows inside: neither engine has trigonometry in an index.
//
// The box is conservative, never too small: when the circle reaches a pole every longitude is
// in, and when it crosses the ±180° meridian (no French territory in the reference data does)
// the longitude range is the whole [-180, 180] rather than two ranges that a single BETWEEN
// could not express. A negative radius is treated as 0.
func BoundingBox(lat, lng, radiusKm float64) Box {
	radiusKm = max(0, radiusKm)
	δ := radiusKm / EarthRadiusKm // angular radius, radians
	dLat := δ*180/math.Pi + boxMargin
	b := Box{MinLat: lat - dLat, MaxLat: lat + dLat, MinLng: -180, MaxLng: 180}
	if b.MinLat <= -90 || b.MaxLat >= 90 || δ >= math.Pi/2 {
		// A pole is inside the circle, or it spans a hemisphere: every longitude is in.
		b.MinLat, b.MaxLat = max(-90, b.MinLat), min(90, b.MaxLat)
		return b
	}
	// The meridians tangent to the circle are Δλ = asin(sin δ / cos φ) away (J. P. Matuschek,
	// "Finding Points Within a Distance of a Latitude/Longitude Using Bounding Coordinates");
	// the tangent points lie poleward of the centre, where meridians converge, so the naive
	// δ / cos φ would be too narrow.
	s := math.Sin(δ) / math.Cos(lat*math.Pi/180)
	if s >= 1 {
		return b
	}
	dLng := math.Asin(s)*180/math.Pi + boxMargin
	if lng-dLng < -180 || lng+dLng > 180 {
		return b
	}
	b.MinLng, b.MaxLng = lng-dLng, lng+dLng
	return b
}
