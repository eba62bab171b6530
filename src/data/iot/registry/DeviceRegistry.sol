// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Stele device registry
/// @notice A system contract present in every Stele genesis at 0x0000000000000000000000000000000000005702.
///         Organizations register devices with the public key that signs their telemetry; see docs/spec/devices.md.
///         There is no constructor: genesis installs the runtime code with empty storage.
contract DeviceRegistry {
    uint8 internal constant KEY_P256 = 1;
    uint8 internal constant KEY_ED25519 = 2;
    uint8 internal constant KEY_SECP256K1 = 3;

    struct Device {
        address owner;
        uint64 registeredAt;
        /// @dev 0 while the device is active; the block timestamp of its revocation afterwards.
        uint64 revokedAt;
        bytes32 firmwareHash;
        string metadata;
    }

    /// @notice A key and the interval it signs for: validFrom <= t < validUntil (validUntil 0: still current).
    struct KeyRecord {
        uint8 keyType;
        uint64 validFrom;
        uint64 validUntil;
        uint64 blockNumber;
        bytes publicKey;
    }

    mapping(bytes32 => Device) private devices;
    mapping(bytes32 => KeyRecord[]) private keyHistory;
    mapping(address => mapping(bytes32 => bool)) private approvedFirmware;
    mapping(address => bool) private firmwareRequiredBy;
    bytes32[] private deviceIds;

    event DeviceRegistered(bytes32 indexed deviceId, address indexed owner, uint8 keyType, bytes publicKey, bytes32 firmwareHash, string metadata);
    event KeyRotated(bytes32 indexed deviceId, uint256 indexed keyIndex, uint8 keyType, bytes publicKey);
    event DeviceRevoked(bytes32 indexed deviceId, address indexed owner);
    event DeviceTransferred(bytes32 indexed deviceId, address indexed from, address indexed to);
    event DeviceFirmwareChanged(bytes32 indexed deviceId, bytes32 firmwareHash);
    event FirmwareApprovalChanged(address indexed owner, bytes32 indexed firmwareHash, bool approved);
    event FirmwarePolicyChanged(address indexed owner, bool required);

    modifier onlyActiveOwner(bytes32 deviceId) {
        Device storage device = devices[deviceId];
        require(device.owner != address(0), "DeviceRegistry: unknown device");
        require(device.owner == msg.sender, "DeviceRegistry: caller is not the owner");
        require(device.revokedAt == 0, "DeviceRegistry: device is revoked");
        _;
    }

    /// @notice Registers deviceId to the caller with its first key (key index 0).
    function register(bytes32 deviceId, uint8 keyType, bytes calldata publicKey, bytes32 firmwareHash, string calldata metadata) external {
        require(deviceId != bytes32(0), "DeviceRegistry: zero device id");
        Device storage device = devices[deviceId];
        require(device.owner == address(0), "DeviceRegistry: already registered");
        checkKey(keyType, publicKey);
        device.owner = msg.sender;
        device.registeredAt = uint64(block.timestamp);
        device.firmwareHash = firmwareHash;
        device.metadata = metadata;
        keyHistory[deviceId].push(KeyRecord(keyType, uint64(block.timestamp), 0, uint64(block.number), publicKey));
        deviceIds.push(deviceId);
        emit DeviceRegistered(deviceId, msg.sender, keyType, publicKey, firmwareHash, metadata);
    }

    /// @notice Replaces the device's key. The old key stays valid for readings signed before this block's timestamp.
    function rotateKey(bytes32 deviceId, uint8 keyType, bytes calldata publicKey) external onlyActiveOwner(deviceId) {
        checkKey(keyType, publicKey);
        KeyRecord[] storage keys = keyHistory[deviceId];
        keys[keys.length - 1].validUntil = uint64(block.timestamp);
        keys.push(KeyRecord(keyType, uint64(block.timestamp), 0, uint64(block.number), publicKey));
        emit KeyRotated(deviceId, keys.length - 1, keyType, publicKey);
    }

    /// @notice Revokes the device for good: no reading is accepted from it afterwards.
    function revoke(bytes32 deviceId) external onlyActiveOwner(deviceId) {
        devices[deviceId].revokedAt = uint64(block.timestamp);
        emit DeviceRevoked(deviceId, msg.sender);
    }

    function transfer(bytes32 deviceId, address newOwner) external onlyActiveOwner(deviceId) {
        require(newOwner != address(0), "DeviceRegistry: new owner is the zero address");
        devices[deviceId].owner = newOwner;
        emit DeviceTransferred(deviceId, msg.sender, newOwner);
    }

    /// @notice Records the firmware the device now runs (after an update).
    function setDeviceFirmware(bytes32 deviceId, bytes32 firmwareHash) external onlyActiveOwner(deviceId) {
        devices[deviceId].firmwareHash = firmwareHash;
        emit DeviceFirmwareChanged(deviceId, firmwareHash);
    }

    /// @notice Approves (or withdraws) a firmware hash for every device the caller owns.
    function approveFirmware(bytes32 firmwareHash, bool approved) external {
        require(firmwareHash != bytes32(0), "DeviceRegistry: zero firmware hash");
        approvedFirmware[msg.sender][firmwareHash] = approved;
        emit FirmwareApprovalChanged(msg.sender, firmwareHash, approved);
    }

    /// @notice When required, readings from the caller's devices are accepted only from approved firmware.
    function setFirmwareRequired(bool required) external {
        firmwareRequiredBy[msg.sender] = required;
        emit FirmwarePolicyChanged(msg.sender, required);
    }

    /// @notice The device and its full key history, oldest key first; owner is zero when it was never registered.
    function getDevice(bytes32 deviceId)
        external
        view
        returns (
            address owner,
            uint64 registeredAt,
            uint64 revokedAt,
            bytes32 firmwareHash,
            bool firmwareRequired,
            string memory metadata,
            KeyRecord[] memory keys
        )
    {
        Device storage device = devices[deviceId];
        return (
            device.owner,
            device.registeredAt,
            device.revokedAt,
            device.firmwareHash,
            firmwareRequiredBy[device.owner],
            device.metadata,
            keyHistory[deviceId]
        );
    }

    function isFirmwareApproved(address owner, bytes32 firmwareHash) external view returns (bool) {
        return approvedFirmware[owner][firmwareHash];
    }

    function deviceCount() external view returns (uint256) {
        return deviceIds.length;
    }

    /// @notice Registered device ids in registration order, from offset, at most limit of them.
    function listDevices(uint256 offset, uint256 limit) external view returns (bytes32[] memory ids) {
        uint256 end = deviceIds.length;
        if (offset >= end) return new bytes32[](0);
        if (limit < end - offset) end = offset + limit;
        ids = new bytes32[](end - offset);
        for (uint256 i = offset; i < end; i++) ids[i - offset] = deviceIds[i];
    }

    function checkKey(uint8 keyType, bytes calldata publicKey) private pure {
        uint256 n = publicKey.length;
        if (keyType == KEY_ED25519) {
            require(n == 32, "DeviceRegistry: Ed25519 keys are 32 bytes");
        } else if (keyType == KEY_P256 || keyType == KEY_SECP256K1) {
            require(
                (n == 33 && (publicKey[0] == 0x02 || publicKey[0] == 0x03)) || (n == 65 && publicKey[0] == 0x04),
                "DeviceRegistry: EC keys are SEC1, 33 or 65 bytes"
            );
        } else {
            revert("DeviceRegistry: unknown key type");
        }
    }
}
