using Handoff.Core.Dictionary;

namespace Handoff.Core.Tests.Dictionary;

public class ValueConverterTests
{
    private static FieldDefinition Field(FieldType type, params string[] values) =>
        new("f", "F", type, Classification.Internal, false, values, null, [], ConflictRule.SystemOfRecordRule, []);

    private static FieldBinding Binding(string? format = null, string? converter = null, Dictionary<string, string>? map = null) =>
        new("sys", "Native", format, converter, map ?? [], WriteStrength.Enforce);

    private static string? Canonical(FieldDefinition field, FieldBinding? binding, string? raw)
    {
        Assert.True(ValueConverter.TryToCanonical(field, binding, raw, out var canonical, out var error), error);
        Assert.Null(error);
        return canonical;
    }

    private static string Error(FieldDefinition field, FieldBinding? binding, string raw)
    {
        Assert.False(ValueConverter.TryToCanonical(field, binding, raw, out var canonical, out var error));
        Assert.Null(canonical);
        return error!;
    }

    [Theory]
    [InlineData(FieldType.String)]
    [InlineData(FieldType.Date)]
    [InlineData(FieldType.Email)]
    [InlineData(FieldType.Number)]
    public void Blank_input_is_no_value(FieldType type)
    {
        Assert.Null(Canonical(Field(type), null, null));
        Assert.Null(Canonical(Field(type), null, "   "));
    }

    [Fact]
    public void Strings_and_references_are_trimmed()
    {
        Assert.Equal("Ada Lovelace", Canonical(Field(FieldType.String), null, "  Ada Lovelace "));
        Assert.Equal("E042", Canonical(Field(FieldType.Reference), null, " E042"));
    }

    [Theory]
    [InlineData(null, null, "2026-01-05", "2026-01-05")]
    [InlineData(null, null, "2026-01-05T23:30:00+02:00", "2026-01-05")]
    [InlineData(null, "iso", "2026-01-05T10:00:00Z", "2026-01-05")]
    [InlineData("MM/dd/yyyy", null, "01/05/2026", "2026-01-05")]
    [InlineData("dd.MM.yyyy", null, "05.01.2026", "2026-01-05")]
    [InlineData(null, "filetime", "134120448000000000", "2026-01-05")]
    [InlineData(null, "generalized_time", "20260105093000Z", "2026-01-05")]
    [InlineData(null, "generalized_time", "20260105093000.0Z", "2026-01-05")]
    [InlineData(null, "generalized_time", "20260105000000+0100", "2026-01-05")]
    [InlineData(null, "unix_seconds", "1767571200", "2026-01-05")]
    public void Dates_convert_to_iso(string? format, string? converter, string raw, string expected)
    {
        Assert.Equal(expected, Canonical(Field(FieldType.Date), Binding(format, converter), raw));
    }

    [Theory]
    [InlineData(null, "2026-01-05T09:30:00Z", "2026-01-05T09:30:00Z")]
    [InlineData(null, "2026-01-05T10:30:00+01:00", "2026-01-05T09:30:00Z")]
    [InlineData(null, "2026-01-05", "2026-01-05T00:00:00Z")]
    [InlineData("generalized_time", "20260105103000+0100", "2026-01-05T09:30:00Z")]
    [InlineData("generalized_time", "20260105093000.5Z", "2026-01-05T09:30:00Z")]
    [InlineData("generalized_time", "202601050930-0230", "2026-01-05T12:00:00Z")]
    [InlineData("unix_seconds", "1767605400", "2026-01-05T09:30:00Z")]
    [InlineData("filetime", "134120790000000000", "2026-01-05T09:30:00Z")]
    public void Datetimes_convert_to_utc(string? converter, string raw, string expected)
    {
        Assert.Equal(expected, Canonical(Field(FieldType.DateTime), Binding(converter: converter), raw));
    }

    [Fact]
    public void Filetime_of_2026_01_05_is_the_known_tick_count()
    {
        // (1767571200 Unix seconds + 11644473600 s from 1601 to 1970) × 10^7.
        const long Expected = 134120448000000000;
        var binding = Binding(converter: "filetime");

        Assert.Equal(Expected.ToString(), ValueConverter.ToNative(Field(FieldType.Date), binding, "2026-01-05"));
        Assert.Equal("2026-01-05", Canonical(Field(FieldType.Date), binding, Expected.ToString()));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("9223372036854775807")]
    public void Filetime_never_is_no_date(string raw)
    {
        Assert.Null(Canonical(Field(FieldType.Date), Binding(converter: "filetime"), raw));
    }

    [Fact]
    public void Missing_date_is_written_as_filetime_never()
    {
        Assert.Equal("9223372036854775807", ValueConverter.ToNative(Field(FieldType.Date), Binding(converter: "filetime"), null));
        Assert.Null(ValueConverter.ToNative(Field(FieldType.Date), Binding(), null));
    }

    [Theory]
    [InlineData("MM/dd/yyyy", null, "13/45/2026", "\"13/45/2026\" is not a date in the format MM/dd/yyyy")]
    [InlineData(null, null, "05/01/2026", "\"05/01/2026\" is not an ISO 8601 date (yyyy-MM-dd)")]
    [InlineData(null, "filetime", "-5", "\"-5\" is not an Active Directory FILETIME")]
    [InlineData(null, "filetime", "9223372036854775806", "out of range for an Active Directory FILETIME")]
    [InlineData(null, "generalized_time", "2026-01-05", "\"2026-01-05\" is not an LDAP generalized time")]
    [InlineData(null, "generalized_time", "20261305093000Z", "\"20261305093000Z\" is not an LDAP generalized time")]
    [InlineData(null, "unix_seconds", "soon", "\"soon\" is not a Unix time")]
    public void Bad_dates_name_the_value_and_the_expected_format(string? format, string? converter, string raw, string message)
    {
        Assert.Contains(message, Error(Field(FieldType.Date), Binding(format, converter), raw));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("MM/dd/yyyy", null)]
    [InlineData("dd.MM.yyyy", null)]
    [InlineData("yyyyMMdd", null)]
    [InlineData(null, "iso")]
    [InlineData(null, "filetime")]
    [InlineData(null, "generalized_time")]
    [InlineData(null, "unix_seconds")]
    public void Dates_round_trip_through_native(string? format, string? converter)
    {
        var field = Field(FieldType.Date);
        var binding = Binding(format, converter);
        // Every 37th day over 1700–2200 covers leap years, month ends and both sides of 1970 and 2038.
        for (var day = new DateOnly(1700, 1, 1); day < new DateOnly(2200, 1, 1); day = day.AddDays(37))
        {
            var canonical = day.ToString("yyyy-MM-dd");
            var native = ValueConverter.ToNative(field, binding, canonical);
            Assert.Equal(canonical, Canonical(field, binding, native));
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("filetime")]
    [InlineData("generalized_time")]
    [InlineData("unix_seconds")]
    public void Datetimes_round_trip_through_native(string? converter)
    {
        var field = Field(FieldType.DateTime);
        var binding = Binding(converter: converter);
        for (var t = new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc); t.Year < 2100; t = t.AddHours(12345.6789))
        {
            var canonical = new DateTime(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ssZ");
            var native = ValueConverter.ToNative(field, binding, canonical);
            Assert.Equal(canonical, Canonical(field, binding, native));
        }
    }

    [Fact]
    public void Native_dates_use_the_binding_format_or_converter()
    {
        var date = Field(FieldType.Date);
        Assert.Equal("01/05/2026", ValueConverter.ToNative(date, Binding("MM/dd/yyyy"), "2026-01-05"));
        Assert.Equal("20260105000000Z", ValueConverter.ToNative(date, Binding(converter: "generalized_time"), "2026-01-05"));
        Assert.Equal("1767571200", ValueConverter.ToNative(date, Binding(converter: "unix_seconds"), "2026-01-05"));
        Assert.Equal("2026-01-05", ValueConverter.ToNative(date, Binding(), "2026-01-05"));
    }

    [Fact]
    public void Emails_are_trimmed_and_lower_cased()
    {
        Assert.Equal("ada.lovelace@acme.example", Canonical(Field(FieldType.Email), null, " Ada.Lovelace@ACME.example "));
    }

    [Theory]
    [InlineData("not-an-email")]
    [InlineData("Ada <ada@acme.example>")]
    [InlineData("ada @acme.example")]
    public void Invalid_emails_are_refused(string raw)
    {
        Assert.Contains($"\"{raw}\" is not an email address", Error(Field(FieldType.Email), null, raw));
    }

    [Theory]
    [InlineData("Contingent", "contractor")]
    [InlineData("contingent", "contractor")]
    [InlineData("employee", "employee")]
    [InlineData("INTERN", "intern")]
    public void Enum_values_go_through_the_map_then_the_values(string raw, string expected)
    {
        var field = Field(FieldType.Enum, "employee", "contractor", "intern");
        var binding = Binding(map: new() { ["Regular"] = "employee", ["Contingent"] = "contractor" });

        Assert.Equal(expected, Canonical(field, binding, raw));
    }

    [Fact]
    public void Exact_map_key_wins_over_case_insensitive_match()
    {
        var field = Field(FieldType.Enum, "full_time", "part_time");
        var binding = Binding(map: new() { ["ft"] = "part_time", ["FT"] = "full_time" });

        Assert.Equal("full_time", Canonical(field, binding, "FT"));
        Assert.Equal("part_time", Canonical(field, binding, "ft"));
    }

    [Fact]
    public void Unknown_enum_value_lists_what_is_expected()
    {
        var field = Field(FieldType.Enum, "employee", "contractor");
        var binding = Binding(map: new() { ["Regular"] = "employee" });

        Assert.Equal("\"Temp\" is not a value of f; expected one of Regular, employee, contractor", Error(field, binding, "Temp"));
    }

    [Fact]
    public void Enum_native_value_is_the_reverse_map()
    {
        var field = Field(FieldType.Enum, "employee", "contractor");
        var binding = Binding(map: new() { ["Regular"] = "employee" });

        Assert.Equal("Regular", ValueConverter.ToNative(field, binding, "employee"));
        Assert.Equal("contractor", ValueConverter.ToNative(field, binding, "contractor"));
    }

    [Theory]
    [InlineData("75000.00", "75000")]
    [InlineData("1234.50", "1234.5")]
    [InlineData("-3", "-3")]
    [InlineData("0.0", "0")]
    [InlineData("1.5e3", "1500")]
    public void Numbers_are_normalized_in_invariant_culture(string raw, string expected)
    {
        Assert.Equal(expected, Canonical(Field(FieldType.Number), null, raw));
    }

    [Fact]
    public void Thousands_separators_are_refused()
    {
        Assert.Contains("\"1,234.5\" is not a number: thousands separators", Error(Field(FieldType.Number), null, "1,234.5"));
        Assert.Contains("\"12 k\" is not a number", Error(Field(FieldType.Number), null, "12 k"));
    }

    [Theory]
    [InlineData("true", "true")]
    [InlineData("YES", "true")]
    [InlineData("y", "true")]
    [InlineData("1", "true")]
    [InlineData("On", "true")]
    [InlineData("t", "true")]
    [InlineData("False", "false")]
    [InlineData("no", "false")]
    [InlineData("N", "false")]
    [InlineData("0", "false")]
    [InlineData("off", "false")]
    [InlineData("F", "false")]
    public void Booleans_accept_the_usual_spellings(string raw, string expected)
    {
        Assert.Equal(expected, Canonical(Field(FieldType.Bool), null, raw));
    }

    [Fact]
    public void Bad_boolean_lists_the_accepted_spellings()
    {
        Assert.Equal("\"maybe\" is not a boolean; expected one of true/false, yes/no, y/n, 1/0, on/off, t/f",
            Error(Field(FieldType.Bool), null, "maybe"));
    }

    [Theory]
    [InlineData("MM/dd/yyyy", true)]
    [InlineData("dd.MM.yyyy", true)]
    [InlineData("yyyy-MM-dd'T'HH:mm:ss", true)]
    [InlineData("MM/yyyy", false)]
    [InlineData("hello", false)]
    [InlineData("%", false)]
    public void Date_patterns_are_validated(string pattern, bool valid)
    {
        Assert.Equal(valid, ValueConverter.IsValidDatePattern(pattern, withTime: false));
    }
}
