using System.Runtime.Serialization;
using Dpr.Actors;
using Dpr.Actors.Serialization;
using MessagePack;

namespace Dpr.Fuzz;

/// <summary>
/// What the journal and remoting hand the serializer: <see cref="DprSerializer.FromBinary"/> of
/// arbitrary bytes under every manifest in <see cref="DprManifests"/>. The first input byte picks the
/// manifest (modulo their number), the rest is the payload; what is read must serialize again.
/// Expected: <c>MessagePackSerializationException</c> (unless a formatter's own defect is underneath)
/// and <see cref="SerializationException"/>.
/// </summary>
public sealed class MessagePackTarget : IFuzzTarget
{
    private static readonly string[] Manifests = [.. DprManifests.All.Values.Order(StringComparer.Ordinal)];

    // The serializer keeps the system only for Akka's own use; FromBinary does not touch it.
    private static readonly DprSerializer Serializer = new(null!);

    public string Name => "messagepack";

    public string Description => $"DprSerializer.FromBinary under each of the {Manifests.Length} manifests";

    public void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        object message;
        try
        {
            message = Serializer.FromBinary(input[1..], Manifests[input[0] % Manifests.Length]);
        }
        catch (MessagePackSerializationException e) when (!IsDefect(e))
        {
            return;
        }
        catch (SerializationException)
        {
            return;
        }
        // Whatever was read is a message dpr may persist again (a snapshot, a re-sent command).
        _ = Serializer.ToBinary(message);
    }

    /// <summary>
    /// MessagePack wraps every exception of a formatter in its own; these underneath are defects of a
    /// formatter (dpr's types or the library's), not bad input being refused.
    /// </summary>
    private static bool IsDefect(Exception e)
    {
        while (e.InnerException is { } inner)
        {
            e = inner;
        }
        return e is NullReferenceException or IndexOutOfRangeException or InvalidCastException or AccessViolationException;
    }

    /// <summary>None: MessagePack's markers are single bytes, which afl-fuzz finds by itself.</summary>
    public IEnumerable<byte[]> Dictionary => [];

    public IEnumerable<Seed> Seeds(FixtureDirectory fixtures)
    {
        // Events are not in the real fixtures: each seed is a sample of one message type, serialized.
        var types = DprManifests.All.ToDictionary(m => m.Value, m => m.Key);
        for (var i = 0; i < Manifests.Length; i++)
        {
            var message = Sample(types[Manifests[i]]);
            yield return new Seed(Manifests[i], [(byte)i, .. Serializer.ToBinary(message)]);
        }
    }

    /// <summary>An instance with a distinct value in every constructor parameter (as DprSerializerTests makes them).</summary>
    private static object Sample(Type type)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var seed = 1;
        return constructor.Invoke(constructor.GetParameters().Select(p => Value(p.ParameterType, seed++)).ToArray());
    }

    private static object? Value(Type type, int seed)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying switch
        {
            _ when underlying == typeof(string) => $"value-{seed}",
            _ when underlying == typeof(int) => seed * 7,
            _ when underlying == typeof(long) => seed * 1_000_000_007L,
            _ when underlying == typeof(uint) => (uint)seed * 0x01000001u,
            _ when underlying == typeof(double) => seed + 0.25,
            _ when underlying == typeof(bool) => seed % 2 == 0,
            _ when underlying == typeof(byte) => (byte)(seed * 31),
            _ when underlying == typeof(TimeSpan) => TimeSpan.FromMilliseconds(seed * 250),
            _ when typeof(IDprMessage).IsAssignableFrom(underlying) => Sample(underlying),
            _ when underlying == typeof(Guid) => new Guid(seed, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
            _ when underlying == typeof(DateTimeOffset) => new DateTimeOffset(2026, 11, 24, 21, seed % 60, 0, TimeSpan.FromHours(1)),
            _ when underlying.IsEnum => Enum.GetValues(underlying).GetValue(seed % Enum.GetValues(underlying).Length),
            _ when underlying.IsArray => CreateArray(underlying.GetElementType()!, seed),
            _ when underlying == typeof(Dictionary<string, int>) => new Dictionary<string, int> { [$"key-{seed}"] = seed },
            _ => null,
        };
    }

    private static Array CreateArray(Type element, int seed)
    {
        var array = Array.CreateInstance(element, 2);
        array.SetValue(Value(element, seed), 0);
        array.SetValue(Value(element, seed + 1), 1);
        return array;
    }
}
