//! Which template URLs name an S3 object, and which object: the forms S3 documents for a bucket and key
//! (virtual-hosted and path style, with or without a region), which CloudFormation itself accepts.

/// An object in S3, named by a template URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
    /// The region the URL names, if any (`s3.eu-west-1.amazonaws.com`).
    pub region: Option<String>,
}

/// Convox's public release bucket: read without credentials.
pub const CONVOX_BUCKET: &str = "convox";

impl S3Location {
    /// The S3 object a URL names, or `None` for a URL outside S3.
    pub fn parse(url: &str) -> Option<S3Location> {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))?;
        let (host, path) = rest.split_once('/')?;
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let host = host.to_ascii_lowercase();
        let service = host.strip_suffix(".amazonaws.com")?;
        // s3, s3.REGION, s3-REGION, s3.dualstack.REGION: the service part of the host.
        let region_of = |service: &str| -> Option<Option<String>> {
            if service == "s3" {
                return Some(None);
            }
            let region = service
                .strip_prefix("s3.dualstack.")
                .or_else(|| service.strip_prefix("s3."))
                .or_else(|| service.strip_prefix("s3-"))?;
            Some((region != "external-1").then(|| region.to_string()))
        };
        if let Some(region) = region_of(service) {
            // Path style: https://s3[.region].amazonaws.com/bucket/key
            let (bucket, key) = path.split_once('/')?;
            return (!bucket.is_empty() && !key.is_empty()).then(|| S3Location {
                bucket: bucket.to_string(),
                key: key.to_string(),
                region,
            });
        }
        // Virtual-hosted style: https://bucket.s3[.region].amazonaws.com/key
        let (bucket, service) = service
            .rsplit_once(".s3")
            .map(|(b, s)| (b, format!("s3{s}")))?;
        let region = region_of(&service)?;
        (!bucket.is_empty() && !path.is_empty()).then(|| S3Location {
            bucket: bucket.to_string(),
            key: path.to_string(),
            region,
        })
    }

    /// Convox's public bucket, read with unsigned requests so a plan role needs no S3 permission.
    pub fn is_public_convox_release(&self) -> bool {
        self.bucket == CONVOX_BUCKET
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(bucket: &str, key: &str, region: Option<&str>) -> Option<S3Location> {
        Some(S3Location {
            bucket: bucket.into(),
            key: key.into(),
            region: region.map(str::to_string),
        })
    }

    #[test]
    fn every_s3_url_form_names_its_object() {
        let key = "release/20161102160040/formation.json";
        for (url, expected) in [
            (
                "https://convox.s3.amazonaws.com/release/20161102160040/formation.json",
                location("convox", key, None),
            ),
            (
                "https://convox.s3.us-east-1.amazonaws.com/release/20161102160040/formation.json",
                location("convox", key, Some("us-east-1")),
            ),
            (
                "https://convox.s3-eu-west-1.amazonaws.com/release/20161102160040/formation.json",
                location("convox", key, Some("eu-west-1")),
            ),
            (
                "https://s3.amazonaws.com/convox/release/20161102160040/formation.json",
                location("convox", key, None),
            ),
            (
                "https://s3.eu-west-1.amazonaws.com/my.bucket/release/20161102160040/formation.json",
                location("my.bucket", key, Some("eu-west-1")),
            ),
            (
                "https://s3-external-1.amazonaws.com/convox/release/20161102160040/formation.json",
                location("convox", key, None),
            ),
            ("https://templates.example.com/rack.json", None),
            ("https://convox.s3.amazonaws.com/", None),
            ("https://s3.amazonaws.com/convox", None),
        ] {
            assert_eq!(S3Location::parse(url), expected, "{url}");
        }
    }
}
