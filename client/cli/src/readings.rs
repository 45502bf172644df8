//! Readings in, one per line: JSON lines or CSV with a header, each with a device timestamp
//! in milliseconds.
//!
//! A JSON-lines reading is kept byte for byte as the device wrote it (trimmed of surrounding
//! whitespace), so that what a reader fetches is exactly what was ingested. A CSV row becomes
//! a JSON object keyed by the header, numbers as numbers and everything else as strings.
//! Readings must not go back in time: the stream is cut into blocks by period.

use std::io::BufRead;

/// Input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
	/// One JSON object per line.
	Jsonl,
	/// Comma-separated values with a header line.
	Csv,
}

/// One reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
	/// Device time in milliseconds since the Unix epoch.
	pub time_ms: u64,
	/// The reading as one line of JSON.
	pub json: String,
	/// The input line it came from (1-based).
	pub line: u64,
}

/// A line that is not a reading.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct BadLine {
	/// The input line (1-based).
	pub line: u64,
	/// What is wrong with it.
	pub reason: String,
}

/// Reads readings from `input`, in order. Yields an error for each bad line; the caller
/// decides whether to skip it. Empty lines are ignored.
pub fn read(
	input: impl BufRead + 'static,
	format: Format,
	time_field: String,
) -> Box<dyn Iterator<Item = Result<Reading, BadLine>>> {
	let mut last = 0u64;
	let monotonic = move |r: Result<Reading, BadLine>| {
		let r = r?;
		if r.time_ms < last {
			return Err(BadLine {
				line: r.line,
				reason: format!("time {} goes back before {last}", r.time_ms),
			});
		}
		last = r.time_ms;
		Ok(r)
	};
	match format {
		Format::Jsonl => Box::new(jsonl(input, time_field).map(monotonic)),
		Format::Csv => Box::new(csv_rows(input, time_field).map(monotonic)),
	}
}

fn time_of(value: &serde_json::Value, field: &str) -> Result<u64, String> {
	match value.get(field) {
		None => Err(format!("no \"{field}\" field (device time in milliseconds)")),
		Some(t) => t
			.as_u64()
			.ok_or_else(|| format!("\"{field}\" is not a non-negative integer of milliseconds")),
	}
}

/// Reads only the time field of a JSON object: the rest of the line is skipped without building
/// it (ingest reads millions of lines; the line itself is kept as text).
fn json_time(text: &str, field: &str) -> Result<u64, String> {
	use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
	use std::borrow::Cow;

	struct TimeField<'f>(&'f str);

	impl<'de> Visitor<'de> for TimeField<'_> {
		type Value = Option<serde_json::Value>;

		fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
			f.write_str("a JSON object")
		}

		fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
			let mut found = None;
			while let Some(key) = map.next_key::<Cow<'de, str>>()? {
				if key == self.0 && found.is_none() {
					found = Some(map.next_value::<serde_json::Value>()?);
				} else {
					map.next_value::<IgnoredAny>()?;
				}
			}
			Ok(found)
		}
	}

	impl<'de> DeserializeSeed<'de> for TimeField<'_> {
		type Value = Option<serde_json::Value>;

		fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
			d.deserialize_map(self)
		}
	}

	let mut de = serde_json::Deserializer::from_str(text);
	let value = TimeField(field).deserialize(&mut de).and_then(|v| de.end().map(|()| v));
	match value {
		Err(e) if e.is_data() => Err("not a JSON object".into()),
		Err(e) => Err(format!("not JSON: {e}")),
		Ok(None) => Err(format!("no \"{field}\" field (device time in milliseconds)")),
		Ok(Some(t)) => t
			.as_u64()
			.ok_or_else(|| format!("\"{field}\" is not a non-negative integer of milliseconds")),
	}
}

fn jsonl(
	input: impl BufRead,
	time_field: String,
) -> impl Iterator<Item = Result<Reading, BadLine>> {
	input.lines().enumerate().filter_map(move |(i, line)| {
		let line_no = i as u64 + 1;
		let text = match line {
			Ok(text) => text,
			Err(e) => {
				return Some(Err(BadLine { line: line_no, reason: format!("unreadable: {e}") }))
			}
		};
		let text = text.trim();
		if text.is_empty() {
			return None;
		}
		let parsed = json_time(text, &time_field);
		Some(match parsed {
			Ok(time_ms) => Ok(Reading { time_ms, json: text.to_owned(), line: line_no }),
			Err(reason) => Err(BadLine { line: line_no, reason }),
		})
	})
}

fn csv_rows(
	input: impl BufRead,
	time_field: String,
) -> impl Iterator<Item = Result<Reading, BadLine>> {
	let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(input);
	// A bad header or a header without the time column is one error, and the end.
	let headers = match reader.headers() {
		Err(e) => Err(format!("bad CSV header: {e}")),
		Ok(h) if !h.iter().any(|name| name == time_field) => {
			Err(format!("the CSV header has no \"{time_field}\" column"))
		}
		Ok(h) => Ok(h.clone()),
	};
	let (header_error, source) = match headers {
		Err(reason) => (Some(BadLine { line: 1, reason }), None),
		Ok(h) => (None, Some((h, reader))),
	};
	let rows = source.into_iter().flat_map(move |(headers, reader)| {
		let time_field = time_field.clone();
		reader.into_records().map(move |record| match record {
			Err(e) => Err(BadLine {
				line: e.position().map_or(0, |p| p.line()),
				reason: format!("bad CSV row: {e}"),
			}),
			Ok(row) => {
				let line = row.position().map_or(0, |p| p.line());
				let object: serde_json::Map<_, _> = headers
					.iter()
					.zip(row.iter())
					.map(|(name, field)| (name.to_owned(), csv_value(field)))
					.collect();
				let value = serde_json::Value::Object(object);
				match time_of(&value, &time_field) {
					Ok(time_ms) => Ok(Reading { time_ms, json: value.to_string(), line }),
					Err(reason) => Err(BadLine { line, reason }),
				}
			}
		})
	});
	header_error.map(Err).into_iter().chain(rows)
}

fn csv_value(field: &str) -> serde_json::Value {
	if let Ok(n) = field.parse::<u64>() {
		return n.into();
	}
	if let Ok(n) = field.parse::<i64>() {
		return n.into();
	}
	match field.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
		Some(n) => serde_json::Value::Number(n),
		None => field.into(),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn all(text: &'static str, format: Format) -> Vec<Result<Reading, BadLine>> {
		read(std::io::Cursor::new(text), format, "t".into()).collect()
	}

	#[test]
	fn json_lines_are_kept_verbatim_and_bad_lines_named() {
		let out = all(
			"{\"t\":1000, \"temp\": 21.5}\n\n  {\"t\":2000}  \nnot json\n[1]\n{\"temp\":1}\n{\"t\":-5}\n{\"t\":1500}\n{\"t\":3000}\n",
			Format::Jsonl,
		);
		assert_eq!(
			out[0],
			Ok(Reading { time_ms: 1000, json: "{\"t\":1000, \"temp\": 21.5}".into(), line: 1 })
		);
		assert_eq!(out[1], Ok(Reading { time_ms: 2000, json: "{\"t\":2000}".into(), line: 3 }));
		let bad: Vec<u64> = out.iter().filter_map(|r| r.as_ref().err().map(|e| e.line)).collect();
		assert_eq!(bad, [4, 5, 6, 7, 8], "not JSON, not an object, no time, negative, backwards");
		assert!(out[6].as_ref().expect_err("bad").reason.contains("back"));
		assert_eq!(out[7].as_ref().expect("good").time_ms, 3000);
	}

	#[test]
	fn csv_rows_become_json_objects() {
		let out = all("t,temp,site\n1000,21.5,roof\n2000,x,\nbad,1,2\n", Format::Csv);
		assert_eq!(out[0].as_ref().expect("good").json, r#"{"site":"roof","t":1000,"temp":21.5}"#);
		assert_eq!(out[1].as_ref().expect("good").line, 3);
		assert_eq!(out[2].as_ref().expect_err("bad").line, 4);
		let missing = all("time,temp\n1,2\n", Format::Csv);
		assert_eq!(missing.len(), 1);
		assert!(missing[0].as_ref().expect_err("bad").reason.contains("no \"t\" column"));
	}
}
