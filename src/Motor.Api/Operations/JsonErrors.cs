using System.Text.Json;
using System.Text.RegularExpressions;

namespace Motor.Api.Operations;

/// <summary>
/// A JSON binding error in the caller's terms: the JSON path and the JSON type the field takes, never the .NET type the
/// serializer reports ("could not be converted to System.Collections.Generic.List`1[System.String]").
/// </summary>
public static partial class JsonErrors
{
    public static string Describe(JsonException exception)
    {
        string path = exception.Path is { Length: > 0 } jsonPath ? jsonPath : "$";
        Match conversion = ConversionTarget().Match(exception.Message);
        if (conversion.Success)
        {
            return $"{path}: expected {JsonTypeOf(conversion.Groups["type"].Value)}";
        }

        if (exception.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
        {
            return $"{path}: a property appears twice; each may appear once";
        }

        // Syntax errors: the reader's own words name no .NET type; keep them, without the line/byte position noise.
        string message = exception.Message;
        int position = message.IndexOf(" Path:", StringComparison.Ordinal);
        message = position > 0 ? message[..position] : message;
        return TypeName().IsMatch(message) ? $"{path}: not valid JSON for this field" : $"{path}: {message.TrimEnd('.')}";
    }

    private static string JsonTypeOf(string dotnetType) => dotnetType switch
    {
        _ when dotnetType.StartsWith("System.Collections.Generic.List`1[System.String]", StringComparison.Ordinal) => "an array of strings",
        _ when dotnetType.StartsWith("System.Collections.Generic.Dictionary`2[System.String,System.Single[]]", StringComparison.Ordinal) => "an object whose values are arrays of numbers",
        _ when dotnetType.StartsWith("System.Collections.Generic.List`1", StringComparison.Ordinal) || dotnetType.EndsWith("[]", StringComparison.Ordinal) => "an array",
        _ when dotnetType.StartsWith("System.Collections.Generic.Dictionary`2", StringComparison.Ordinal) => "an object",
        "System.String" => "a string",
        "System.Int32" or "System.Int64" or "System.Nullable`1[System.Int32]" or "System.Nullable`1[System.Int64]" => "an integer",
        "System.Single" or "System.Double" or "System.Nullable`1[System.Single]" or "System.Nullable`1[System.Double]" => "a number",
        "System.Boolean" or "System.Nullable`1[System.Boolean]" => "true or false",
        _ => "an object of the documented shape (see /swagger)",
    };

    [GeneratedRegex(@"could not be converted to (?<type>[^\s]+?)\.?(\s|$)")]
    private static partial Regex ConversionTarget();

    [GeneratedRegex(@"System\.|Microsoft\.|`\d")]
    private static partial Regex TypeName();
}
