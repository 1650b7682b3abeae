using Akka.Actor;
using Akka.Serialization;
using MessagePack;
using MessagePack.Resolvers;
using SerializationException = System.Runtime.Serialization.SerializationException;

namespace Dpr.Actors.Serialization;

/// <summary>
/// The one serializer of everything dpr persists or sends between processes: MessagePack with
/// explicit keys (only ever appended), the standard resolver (no typeless or dynamic-type
/// resolution), untrusted-data limits, and short versioned manifests that name the type.
/// </summary>
public sealed class DprSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 501;

    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithResolver(StandardResolver.Instance).WithSecurity(MessagePackSecurity.UntrustedData);

    private static readonly Dictionary<string, Type> Types = DprManifests.All.ToDictionary(m => m.Value, m => m.Key);

    public override int Identifier => SerializerId;

    /// <summary>The HOCON that binds every <see cref="IDprMessage"/> to this serializer.</summary>
    public static string Hocon => $$"""
        akka.actor {
          serializers.dpr = "{{typeof(DprSerializer).AssemblyQualifiedNameWithoutVersion()}}"
          serialization-bindings { "{{typeof(IDprMessage).AssemblyQualifiedNameWithoutVersion()}}" = dpr }
          serialization-identifiers { "{{typeof(DprSerializer).AssemblyQualifiedNameWithoutVersion()}}" = {{SerializerId}} }
        }
        """;

    public override string Manifest(object o) =>
        DprManifests.All.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType().FullName} has no manifest in {nameof(DprManifests)}; add one before persisting or sending it");

    public override byte[] ToBinary(object obj)
    {
        Manifest(obj);
        return MessagePackSerializer.Serialize(obj.GetType(), obj, Options);
    }

    public override object FromBinary(byte[] bytes, string manifest) =>
        Types.TryGetValue(manifest, out var type)
            ? MessagePackSerializer.Deserialize(type, bytes, Options) ?? throw new SerializationException($"manifest {manifest} deserialized to null")
            : throw new SerializationException($"unknown manifest '{manifest}': written by a newer dpr, or not by dpr at all");
}
