using Dpr.Actors;

namespace Dpr.Tests;

/// <summary>Message instances for the serializer's round-trip tests and the MessagePack fuzz target's seeds.</summary>
public static class MessageSamples
{
    /// <summary>An instance of a message type with a distinct non-default value in every constructor parameter.</summary>
    public static object Sample(Type type)
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
            _ when underlying == typeof(Dictionary<string, TimeSpan>) => new Dictionary<string, TimeSpan> { [$"key-{seed}"] = TimeSpan.FromMilliseconds(seed), [$"key-{seed + 1}"] = TimeSpan.FromTicks(seed + 1) },
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
}
