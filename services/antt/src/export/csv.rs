//! CSV as RFC 4180 writes it (a header row, fields quoted when they hold a comma, a
//! quote or a line break, quotes doubled), by hand: it is this little, and every reader
//! (pandas, DuckDB, Polars, spreadsheets) reads it. Lines end in `\n`, which they all
//! accept. Null is an empty field; UTF-8 without a byte-order mark.

use std::io::Write;

use super::columns::{Field, Get};

pub struct CsvSink<W: Write> {
    out: W,
    line: String,
}

impl<W: Write> CsvSink<W> {
    /// Writes the header row.
    pub fn new<R>(out: W, fields: &[Field<R>]) -> std::io::Result<Self> {
        let mut sink = CsvSink {
            out,
            line: String::new(),
        };
        for (index, field) in fields.iter().enumerate() {
            sink.separate(index);
            quoted(field.name, &mut sink.line);
        }
        sink.end_line()?;
        Ok(sink)
    }

    pub fn write<R>(&mut self, fields: &[Field<R>], rows: &[R]) -> std::io::Result<()> {
        for row in rows {
            for (index, field) in fields.iter().enumerate() {
                self.separate(index);
                match &field.get {
                    Get::Text(get) => {
                        if let Some(text) = get(row) {
                            quoted(&text, &mut self.line);
                        }
                    }
                    Get::UInt32(get) => self.line.push_str(&get(row).to_string()),
                    Get::Int32(get) => self.line.push_str(&get(row).to_string()),
                    Get::Bool(get) => self.line.push_str(if get(row) { "true" } else { "false" }),
                    Get::Date(get) => {
                        if let Some(date) = get(row) {
                            self.line.push_str(&date.to_string());
                        }
                    }
                }
            }
            self.end_line()?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn separate(&mut self, index: usize) {
        if index > 0 {
            self.line.push(',');
        }
    }

    fn end_line(&mut self) -> std::io::Result<()> {
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())?;
        self.line.clear();
        Ok(())
    }
}

/// `text` as one field: as it is, or in quotes with its quotes doubled when it holds a
/// separator, a quote or a line break. A text that is empty is quoted too, so that it
/// reads back as an empty string, not as null.
fn quoted(text: &str, line: &mut String) {
    if !text.is_empty() && !text.contains([',', '"', '\n', '\r']) {
        line.push_str(text);
        return;
    }
    line.push('"');
    line.push_str(&text.replace('"', "\"\""));
    line.push('"');
}

#[cfg(test)]
mod tests {
    use antt_domain::Date;

    use super::*;

    struct Row {
        name: &'static str,
        count: u32,
        day: Option<Date>,
    }

    const FIELDS: &[Field<Row>] = &[
        Field {
            name: "name",
            get: Get::Text(|row| (!row.name.is_empty()).then(|| row.name.to_owned())),
        },
        Field {
            name: "count",
            get: Get::UInt32(|row| row.count),
        },
        Field {
            name: "day",
            get: Get::Date(|row| row.day),
        },
    ];

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        let rows = [
            Row {
                name: "Thôn 8",
                count: 1,
                day: Date::new(2020, 3, 1).ok(),
            },
            Row {
                name: "Tổ ANXH số 1, \"Đoàn kết\"",
                count: 2,
                day: None,
            },
            Row {
                name: "",
                count: 3,
                day: None,
            },
            Row {
                name: "hai\ndòng",
                count: 4,
                day: None,
            },
        ];
        let mut sink = CsvSink::new(Vec::new(), FIELDS).unwrap();
        sink.write(FIELDS, &rows).unwrap();
        let text = String::from_utf8(sink.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "name,count,day\n\
             Thôn 8,1,2020-03-01\n\
             \"Tổ ANXH số 1, \"\"Đoàn kết\"\"\",2,\n\
             ,3,\n\
             \"hai\ndòng\",4,\n"
        );
    }
}
