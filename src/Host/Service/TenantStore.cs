using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Dpr.Host.Service;

/// <summary>A tenant and the SHA-256 of its API key (the key itself is shown once, when it is made).</summary>
public sealed record Tenant(string Name, bool Admin, string KeyHash, DateTimeOffset Created);

/// <summary>
/// The tenants of a data directory, in <c>tenants.json</c>. Keys are 32 random bytes in base64url
/// prefixed <c>dpr_</c>; only their SHA-256 is stored. <c>dpr tenants add</c> may write the file
/// while the service runs: an unknown key makes the service read it again if it changed.
/// </summary>
public sealed class TenantStore
{
    public const string FileName = "tenants.json";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly string _path;
    private readonly Lock _lock = new();
    // Replaced whole on reload, never changed in place: readers need no lock.
    private volatile FrozenDictionary<string, Tenant> _byHash = FrozenDictionary<string, Tenant>.Empty;
    private DateTime _loadedWrite;

    public TenantStore(string dataDirectory)
    {
        _path = Path.Combine(dataDirectory, FileName);
        Reload();
    }

    public IReadOnlyList<Tenant> All => [.. _byHash.Values.OrderBy(t => t.Name, StringComparer.Ordinal)];

    /// <summary>The tenant whose key this is; null for an unknown key. Known keys take no lock.</summary>
    public Tenant? Authenticate(string key)
    {
        var hash = Hash(key);
        if (_byHash.TryGetValue(hash, out var tenant))
        {
            return tenant;
        }
        lock (_lock)
        {
            if (File.Exists(_path) && File.GetLastWriteTimeUtc(_path) != _loadedWrite)
            {
                Reload();
                return _byHash.GetValueOrDefault(hash);
            }
            return null;
        }
    }

    /// <summary>Makes a tenant and returns its new key. <see cref="ArgumentException"/> for a bad or taken name.</summary>
    public string Add(string name, bool admin)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException($"tenant name '{name}': 1 to 64 letters, digits, '-', '_' or '.'", nameof(name));
        }
        var key = "dpr_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        lock (_lock)
        {
            Reload();
            if (_byHash.Values.Any(t => t.Name == name))
            {
                throw new ArgumentException($"tenant '{name}' exists already", nameof(name));
            }
            var tenant = new Tenant(name, admin, Hash(key), DateTimeOffset.UtcNow);
            var all = _byHash.Values.Append(tenant).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            var temporary = _path + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(all, Json));
            File.Move(temporary, _path, overwrite: true);
            Reload();
        }
        return key;
    }

    private void Reload()
    {
        if (!File.Exists(_path))
        {
            _byHash = FrozenDictionary<string, Tenant>.Empty;
            return;
        }
        _loadedWrite = File.GetLastWriteTimeUtc(_path);
        var tenants = JsonSerializer.Deserialize<List<Tenant>>(File.ReadAllText(_path), Json)
            ?? throw new InvalidDataException($"{_path}: expected a list of tenants");
        _byHash = tenants.ToFrozenDictionary(t => t.KeyHash, StringComparer.Ordinal);
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
