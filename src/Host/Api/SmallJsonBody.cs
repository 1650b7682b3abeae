using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;

namespace Dpr.Host.Api;

/// <summary>
/// A small JSON body (an object of scalar fields: <see cref="LoadDto"/>, <see cref="UpsetDto"/>, the chaos
/// requests) checked by the request rules (<see cref="RequestRules"/>) before it is deserialized: each field
/// is one of the record's constructor parameters, named exactly as <see cref="ApiJson"/> writes it, sent at
/// most once, its value of the parameter's JSON kind (a number as a JSON number, never a string), a string
/// at most <see cref="RequestRules.MaxStringLength"/> characters, null only where the field may be absent.
/// A refusal names the field and the JSON kinds, never a .NET type.
/// </summary>
internal static class SmallJsonBody
{
    private static readonly ConcurrentDictionary<Type, Field[]> Fields = new();

    /// <summary>What a field takes.</summary>
    private enum Expect
    {
        String,
        Boolean,
        Int32,
        Int64,
        Number,
    }

    /// <summary>The body as a <typeparamref name="T"/>.</summary>
    /// <exception cref="ApiProblem">400 naming the field at fault (or <c>body</c>).</exception>
    public static T Read<T>(ReadOnlySpan<byte> json)
        where T : class
    {
        var fields = Fields.GetOrAdd(typeof(T), Describe);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
        var field = "body";
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw reader.TokenType == JsonTokenType.Null
                    ? ApiProblem.BadInput("body", "a JSON object is needed")
                    : RequestRules.WrongKind("body", "a JSON object", reader.TokenType);
            }
            ulong seen = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                field = reader.GetString()!;
                var index = Array.FindIndex(fields, f => f.Name == field);
                if (index < 0)
                {
                    throw RequestRules.Unknown(field, fields.Select(f => f.Name));
                }
                if ((seen & (1UL << index)) != 0)
                {
                    throw RequestRules.Duplicate(field);
                }
                seen |= 1UL << index;
                reader.Read();
                fields[index].Check(ref reader);
            }
            field = "body";
            // Anything after the object is refused by the reader.
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            throw ApiProblem.BadInput(field, $"not valid JSON at {(field == "body" ? "$" : "$." + field)}: {e.Message.Split(" LineNumber:")[0]}");
        }
        catch (InvalidOperationException e)
        {
            // A name or string that is not UTF-8 (Utf8JsonReader.GetString).
            throw ApiProblem.BadInput(field, $"not valid JSON at {(field == "body" ? "$" : "$." + field)}: {e.Message}");
        }
        // Checked above, so what is left to System.Text.Json is only the mapping.
        return JsonSerializer.Deserialize<T>(json, ApiJson.Strict)!;
    }

    private static Field[] Describe(Type type)
    {
        var nullability = new NullabilityInfoContext();
        var parameters = type.GetConstructors().Single().GetParameters();
        if (parameters.Length > 64)
        {
            throw new InvalidOperationException($"{type.Name} has more fields than a small body tracks");
        }
        return [.. parameters.Select(p =>
        {
            var underlying = Nullable.GetUnderlyingType(p.ParameterType);
            var expect = (underlying ?? p.ParameterType) switch
            {
                var t when t == typeof(string) => Expect.String,
                var t when t == typeof(bool) => Expect.Boolean,
                var t when t == typeof(int) => Expect.Int32,
                var t when t == typeof(long) => Expect.Int64,
                var t when t == typeof(double) => Expect.Number,
                var t => throw new InvalidOperationException($"{type.Name}.{p.Name}: a small body holds strings, booleans and numbers, not {t.Name}"),
            };
            var nullable = underlying is not null || nullability.Create(p).WriteState == NullabilityState.Nullable;
            return new Field(ApiJson.Options.PropertyNamingPolicy!.ConvertName(p.Name!), expect, nullable);
        })];
    }

    /// <summary>One field of a small body: its JSON name, what it takes, and whether null stands for absent.</summary>
    private sealed record Field(string Name, Expect Expect, bool Nullable)
    {
        public void Check(ref Utf8JsonReader json)
        {
            var token = json.TokenType;
            if (token == JsonTokenType.Null && Nullable)
            {
                return;
            }
            var ok = Expect switch
            {
                Expect.String => token == JsonTokenType.String,
                Expect.Boolean => token is JsonTokenType.True or JsonTokenType.False,
                _ => token == JsonTokenType.Number,
            };
            if (!ok)
            {
                throw RequestRules.WrongKind(Name, Wanted(), token);
            }
            switch (Expect)
            {
                case Expect.String:
                    RequestRules.RequireShort(Name, json.GetString()!);
                    break;
                case Expect.Int32 when !json.TryGetInt32(out _):
                case Expect.Int64 when !json.TryGetInt64(out _):
                case Expect.Number when !json.TryGetDouble(out _):
                    throw ApiProblem.BadInput(Name, $"{Name}: expected {Wanted()}, found {RequestRules.Shorten(System.Text.Encoding.UTF8.GetString(json.ValueSpan))}");
            }
        }

        private string Wanted() => (Expect switch
        {
            Expect.String => "a string",
            Expect.Boolean => "true or false",
            Expect.Int32 => $"an integer from {int.MinValue} to {int.MaxValue}",
            Expect.Int64 => $"an integer from {long.MinValue} to {long.MaxValue}",
            _ => "a number",
        }) + (Nullable ? " (or null)" : "");
    }
}
