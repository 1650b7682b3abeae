using System.Reflection;
using Akka.Serialization;
using Dpr.Actors.Serialization;

namespace Dpr.Actors.Tests.Serialization;

public class DprSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    public DprSerializerTests()
        : base(ActorTestConfig.Config)
    {
    }

    public static TheoryData<Type> MessageTypes => new(
        typeof(IDprMessage).Assembly.GetTypes().Where(t => typeof(IDprMessage).IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false }));

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Every_message_type_round_trips_through_the_configured_serializer(Type type)
    {
        var message = Sample(type);
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

    /// <summary>An instance with a distinct non-default value in every constructor parameter.</summary>
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
            _ when underlying == typeof(Dictionary<string, int>) => new Dictionary<string, int> { [$"key-{seed}"] = seed, [$"key-{seed + 1}"] = seed + 1 },
            _ => throw new NotSupportedException($"add a sample value for {type} (used by a message type)"),
        };
    }

    private static Array CreateArray(Type element, int seed)
    {
        var array = Array.CreateInstance(element, 2);
        array.SetValue(Value(element, seed), 0);
        array.SetValue(Value(element, seed + 1), 1);
        return array;
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
