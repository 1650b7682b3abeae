using System.Reflection;
using Akka.Serialization;
using Dpr.Actors.Serialization;
using Dpr.TestKit;
using Dpr.Tests;

namespace Dpr.Actors.Tests.Serialization;

public class DprSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    public DprSerializerTests()
        : base(TestNode.Config)
    {
    }

    public static TheoryData<Type> MessageTypes => new(
        typeof(IDprMessage).Assembly.GetTypes().Where(t => typeof(IDprMessage).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false }));

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Every_message_type_round_trips_through_the_configured_serializer(Type type)
    {
        var message = MessageSamples.Sample(type);
        var serializer = Sys.Serialization.FindSerializerFor(message);

        Assert.IsType<DprSerializer>(serializer);
        var manifest = Assert.IsAssignableFrom<SerializerWithStringManifest>(serializer).Manifest(message);
        Assert.Matches(@"^[a-z0-9-]+\.v\d+$", manifest);
        var back = ((SerializerWithStringManifest)serializer).FromBinary(serializer.ToBinary(message), manifest);

        Assert.IsType(type, back);
        Assert.Equal(Describe(message), Describe(back));
    }

    [Fact]
    public void Manifests_are_unique()
    {
        Assert.Equal(DprManifests.All.Count, DprManifests.All.Values.Distinct().Count());
    }

    [Fact]
    public void An_unknown_manifest_is_refused_by_name()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(IDprMessage));

        var e = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([0x90], "from-the-future.v9"));

        Assert.Contains("from-the-future.v9", e.Message);
    }

    /// <summary>Records compare arrays by reference; compare their contents instead.</summary>
    private static string Describe(object o) => string.Join(";", o.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetIndexParameters().Length == 0 && p.DeclaringType == o.GetType())
        .Select(p => p.GetValue(o) switch
        {
            Array a => $"{p.Name}=[{string.Join(",", a.Cast<object>())}]",
            Dictionary<string, int> d => $"{p.Name}={{{string.Join(",", d.Select(kv => $"{kv.Key}:{kv.Value}"))}}}",
            IDprMessage nested => $"{p.Name}={{{Describe(nested)}}}",
            var v => $"{p.Name}={v}",
        }));
}
