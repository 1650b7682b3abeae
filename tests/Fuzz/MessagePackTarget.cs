using System.Runtime.Serialization;
using Dpr.Actors.Serialization;
using Dpr.Tests;
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
            var message = MessageSamples.Sample(types[Manifests[i]]);
            yield return new Seed(Manifests[i], [(byte)i, .. Serializer.ToBinary(message)]);
        }
    }
}
